"""A publisher name normalised: simplified characters, no whitespace, no year, no report title tail."""

from __future__ import annotations

import re
import unicodedata

from common.text import to_simplified

_YEAR = re.compile(r"[(（\[【]?(?:19|20)\d{2}\s*年(?:度)?[)）\]】]?")
_REPORT_TAIL = re.compile(
    r"(?:的)?(?:政府信息公开|政务公开|信息公开)(?:工作)?(?:年度)?(?:报告|年报)(?:全文|正文)?$"
)
_EDGE_PUNCT = "：:，,、。.·-—_《》“”\"'()（）[]【】 "
_EMPTY_BRACKETS = re.compile(r"[(（\[【]\s*[)）\]】]")
_WHITESPACE = re.compile(r"\s+")


def normalize_publisher_name(name: str, simplify: bool = True) -> str:
    """Simplified characters, no whitespace, no year and no 政府信息公开工作年度报告 tail."""
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", name))
    if simplify:
        text = to_simplified(text)
    text = _YEAR.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _REPORT_TAIL.sub("", text)
        text = _EMPTY_BRACKETS.sub("", text).strip(_EDGE_PUNCT)
        if text.startswith("关于"):
            text = text[2:]
    return text
