"""Headline numbers stated in a report's narrative (收到申请N件, 办结N件, 复议N件 …), for the ``narrative`` check."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.text import normalize

_NUM = r"(?P<n>\d{1,7})\s*(?:件|宗|起|个|次|份)"
_GAP = r"[^。；;，,\d]{0,14}?"
# claim code → patterns (the number the sentence states); first match per code wins
PATTERNS: dict[str, tuple[str, ...]] = {
    "new_received": (
        rf"(?:新?收到|受理|接收|收悉){_GAP}(?:政府信息公开|依申请公开|信息公开)?{_GAP}申请(?:共计|共|合计)?{_GAP}{_NUM}",
        rf"(?:共|全年)(?:收到|受理){_GAP}{_NUM}{_GAP}(?:政府信息公开|依申请公开)?申请",
    ),
    "total_handled": (rf"(?:办结|答复完毕|已答复|办理完毕){_GAP}{_NUM}",),
    "carried_forward": (rf"(?:结转|顺延)(?:至|到)?(?:下一?年度?|2\d{{3}}年){_GAP}(?:继续办理)?{_GAP}{_NUM}",
                        rf"{_NUM}{_GAP}(?:结转|顺延)(?:至|到)?下一?年"),
    "admin_review": (rf"行政复议(?:案件|申请)?{_GAP}{_NUM}", rf"{_NUM}{_GAP}行政复议"),
    "litigation": (rf"(?:行政)?诉讼(?:案件)?{_GAP}{_NUM}", rf"{_NUM}{_GAP}行政诉讼"),
}
_ZERO = {
    "admin_review": re.compile(r"(?:未发生|没有|无|未收到|未有)[^。；;]{0,20}行政复议"),
    "litigation": re.compile(r"(?:未发生|没有|无|未收到|未有)[^。；;]{0,30}行政诉讼"),
    "new_received": re.compile(r"(?:未收到|没有收到|无)[^。；;]{0,10}(?:政府信息公开|依申请公开)申请"),
}


@dataclass(frozen=True, slots=True)
class Claim:
    claim_code: str
    value: float
    snippet: str


def find_claims(text: str) -> list[Claim]:
    """Numbers the narrative states about applications, reviews and litigation."""
    clean = normalize(text)
    claims: list[Claim] = []
    for code, patterns in PATTERNS.items():
        found = None
        for pattern in patterns:
            match = re.search(pattern, clean)
            if match and (found is None or match.start() < found.start()):
                found = match
        if found:
            snippet = clean[max(0, found.start() - 10): found.end() + 5].replace("\n", " ")
            claims.append(Claim(code, float(found.group("n")), snippet))
        elif code in _ZERO:
            zero = _ZERO[code].search(clean)
            if zero:
                claims.append(Claim(code, 0.0, zero.group(0)))
    return claims
