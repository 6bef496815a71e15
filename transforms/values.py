"""Parse one cell's raw text into a value, a status and a unit (reference §7).

Blank, placeholder and zero are different things. A number is only ever read from the digits
in the cell: nothing is rounded, guessed or completed here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

PLACEHOLDERS = {"-", "—", "–", "―", "－", "/", "／", "\\", "无", "空", "—-", "--", "——", "-/-", "×", "x", "X"}

UNIT_FACTORS_YUAN = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000), "千元": Decimal(1000)}
COUNT_UNITS = {"项", "件", "个", "条", "次", "宗", "起", "份", "家", "人"}

_SPACES = re.compile(r"[\s\u3000\u00a0\u2002-\u200b\ufeff]+")
_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_UNIT = r"(?P<unit>万元|亿元|千元|元|项|件|个|条|次|宗|起|份|家|人)?"
# sign forms: +37, -164, --253, 增1423, 减4, 增加12, 减少3, 1（增）, 34（减）, 新增5
_VALUE = re.compile(
    rf"^(?P<pre>\+|-+|增加|减少|新增|增|减)?{_NUMBER}{_UNIT}"
    rf"(?:[(（](?P<post>增加?|减少?)[)）])?{_UNIT.replace('unit', 'unit2')}$"
)


@dataclass(frozen=True, slots=True)
class ParsedValue:
    """The reading of one cell."""

    value: float | None
    status: str  # reported | blank | placeholder | text
    unit: str | None = None
    decimal: Decimal | None = None  # exact value as written, for money normalisation
    note: str | None = None


def normalize_text(raw: str) -> str:
    """NFKC (full-width digits and brackets to ASCII) and drop every kind of space."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw or ""))


@lru_cache(maxsize=262144)
def parse_value(raw: str | None) -> ParsedValue:
    """Read a statistical cell: `+37`, `-164`, `1（增）`, `36462万元`, `588项`, `-`, `　0`, ``."""
    text = normalize_text(raw or "")
    if not text:
        return ParsedValue(None, "blank")
    if text in PLACEHOLDERS or set(text) <= set("-—–―－/／"):
        return ParsedValue(None, "placeholder")
    match = _VALUE.match(text)
    if not match:
        return ParsedValue(None, "text", note="not a number")
    num = match.group("num").replace(",", "")
    try:
        dec = Decimal(num)
    except InvalidOperation:  # pragma: no cover - the regex admits only digits
        return ParsedValue(None, "text", note="not a number")
    sign_word = (match.group("pre") or "") + (match.group("post") or "")
    if sign_word.startswith("-") or "减" in sign_word:
        dec = -dec
    if match.group("unit") and match.group("unit2"):
        return ParsedValue(None, "text", note="two units")
    unit = match.group("unit") or match.group("unit2")
    return ParsedValue(float(dec), "reported", unit, dec)


def is_value_like(raw: str | None) -> bool:
    """True when a cell reads as a value slot (number, placeholder or blank), not a label."""
    return parse_value(raw).status != "text"


def amount_in_yuan(dec: Decimal | None, unit: str | None) -> Decimal | None:
    """Normalise money to yuan; None when the unit is unknown (the amount is kept, not converted)."""
    if dec is None or unit not in UNIT_FACTORS_YUAN:
        return None
    return dec * UNIT_FACTORS_YUAN[unit]


def unit_from_label(label: str) -> str | None:
    """A money unit named in a column header, e.g. 本年收费金额（单位：万元）."""
    text = normalize_text(label)
    match = re.search(r"(?:单位[:：]?|\()(万元|亿元|千元|元)", text)
    return match.group(1) if match else None
