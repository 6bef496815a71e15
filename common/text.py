"""Text normalisation shared by every layer: NFKC (full-width digits, brackets and spaces to ASCII),
traditional → simplified characters, and the whitespace that never counts."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from opencc import OpenCC

# after NFKC, ideographic (U+3000) and no-break (U+00A0) spaces are plain spaces; zero-width ones are not
SPACES = re.compile(r"[\s\u200b\ufeff]+")
_T2S = OpenCC("t2s")


def _t2s_characters() -> frozenset[str] | None:
    """Every character the t2s dictionary changes (read from OpenCC's own TSCharacters.txt).

    A text holding none of them converts to itself, so it can skip the (slow) converter. A
    hand-picked list is not enough: labels such as 規章, 規範性文件, 行政許可 or 結果維持 hold
    no frequent traditional character. None (always convert) when the dictionary is not found.
    """
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    changed = set()
    for line in lines:
        key, _, targets = line.partition("\t")
        if len(key) == 1 and targets.split() and targets.split()[0] != key:
            changed.add(key)
    return frozenset(changed)


_TRADITIONAL_MARKERS = _t2s_characters()


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional → simplified characters (for matching; raw text is kept elsewhere).

    The converter is slow on long narratives, so text without any character the dictionary changes
    (nearly every report) is returned as it is.
    """
    if not text or (_TRADITIONAL_MARKERS is not None and _TRADITIONAL_MARKERS.isdisjoint(text)):
        return text
    return _T2S.convert(text)


def normalize(text: str | None) -> str:
    """NFKC and simplified characters; spaces kept."""
    return to_simplified(unicodedata.normalize("NFKC", text or ""))


def compact(text: str | None) -> str:
    """NFKC, simplified characters and no whitespace at all: the form labels and values are compared in."""
    return to_simplified(SPACES.sub("", unicodedata.normalize("NFKC", text or "")))
