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

from common.text import compact

PLACEHOLDERS = {"-", "—", "–", "―", "－", "/", "／", "\\", "无", "空", "—-", "--", "——", "-/-", "×", "x", "X"}

UNIT_FACTORS_YUAN = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000), "千元": Decimal(1000)}
COUNT_UNITS = {"项", "件", "个", "条", "次", "宗", "起", "份", "家", "人"}

_NUMBER = r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"  # ASCII after NFKC: not ١٢٣
_UNIT = r"(?P<unit>万元|亿元|千元|元|项|件|个|条|次|宗|起|份|家|人)?"
# sign forms: +37, -164, --253, 增1423, 减4, 增加12, 减少3, 1（增）, 34（减）, 新增5
_VALUE = re.compile(
    rf"^(?P<pre>\+|-+|增加|减少|新增|增|减)?{_NUMBER}{_UNIT}"
    rf"(?:[(（](?P<post>增加?|减少?)[)）])?{_UNIT.replace('unit', 'unit2')}$"
)
_SPLIT_DIGITS = re.compile(r"\d[\s\u00a0\u2002-\u200b\ufeff]+\d")
MAX_DIGITS = 15  # a double holds 15 significant decimal digits exactly; longer numbers are not stored as values
# what a number slot holds when it is garbled: digits and no Chinese word but a unit or a sign word
# (`1e308`, `12,34,5`, `1.2.3`, `1/2`, `３６４６２万元`), or a spreadsheet's not-a-number words
_UNIT_OR_SIGN_WORD = re.compile(r"万元|亿元|千元|元|项|件|个|条|次|宗|起|份|家|人|增加|减少|新增|增|减")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NOT_A_NUMBER = {"nan", "inf", "-inf", "+inf", "infinity", "null", "none", "n/a", "na", "#n/a", "#value!",
                 "#div/0!", "#ref!", "#num!", "#name?"}


@dataclass(frozen=True, slots=True)
class ParsedValue:
    """The reading of one cell."""

    value: float | None
    status: str  # reported | blank | placeholder | text
    unit: str | None = None
    decimal: Decimal | None = None  # exact value as written, for money normalisation
    note: str | None = None


def normalize_text(raw: str) -> str:
    """NFKC (full-width digits and brackets to ASCII), simplified characters (萬元, 項, 減, 無), no spaces."""
    return compact(raw)


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
    if any(ch.isdigit() and not ch.isdecimal() for ch in raw or ""):  # NFKC made ² ① ⑴ into digits
        return ParsedValue(None, "text", note="superscript or circled digits: a mark, not a number")
    if _SPLIT_DIGITS.search(unicodedata.normalize("NFKC", raw or "")):  # `12 34`: one number or two?
        return ParsedValue(None, "text", note="digits separated by a space: not read as one number")
    num = match.group("num").replace(",", "")
    whole, _, frac = num.partition(".")
    if len((whole + frac.rstrip("0")).lstrip("0")) > MAX_DIGITS:
        return ParsedValue(None, "text", note=f"more than {MAX_DIGITS} significant digits: not stored as a number")
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


@lru_cache(maxsize=65536)
def is_value_text(raw: str | None) -> bool:
    """A printed value: a number (with its sign, unit or thousands separators) or a placeholder; not blank."""
    return parse_value(raw).status in ("reported", "placeholder")


@lru_cache(maxsize=65536)
def is_value_slot(raw: str | None) -> bool:
    """A value slot, or a garbled number standing in one (`1e308`, `12,34,5`, `NaN`): never a label."""
    if is_value_like(raw):
        return True
    text = normalize_text(raw or "")
    if text.lower() in _NOT_A_NUMBER:
        return True
    return any(ch.isdigit() for ch in text) and not _CJK.search(_UNIT_OR_SIGN_WORD.sub("", text))


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


# --- pieces of a run of values written together (flattened tables, page-text dumps) -------------------
# A piece is one value cut from a run: stricter than a cell (no leading zeros, no thousands separators
# in counts, no spaces), so that the cuts a run allows are few. Placeholders stand for a value too.
_INT = r"(?:0|[1-9]\d*)"
RUN_PLACEHOLDERS = ("-", "/", "无", "—", "——")  # the placeholders a run can hold (never x, 空 or \\ in a run)
assert set(RUN_PLACEHOLDERS) <= PLACEHOLDERS
_PIECE_PLACEHOLDER = "|".join(re.escape(p) for p in sorted(RUN_PLACEHOLDERS, key=len, reverse=True))
# what a run of values written together is made of, after NFKC: digits, signs, decimal marks, separators,
# placeholders, units and (增)/(减) marks (flattened rows, page-text dumps)
RUN_UNITS = "万元|亿元|千元|元|项|件|个|条"
RUN_MARKS = r"[(（][增减][加少]?[)）]|增|减"
RUN_PIECES = {
    "count": re.compile(rf"{_INT}(?:项|件|个|条)?|{_PIECE_PLACEHOLDER}"),
    "signed": re.compile(rf"(?:[+-]|--|增|减)?{_INT}|{_INT}[(（](?:增|减)[)）]|{_PIECE_PLACEHOLDER}"),
    "money": re.compile(rf"(?:{_INT}|[1-9]\d{{0,2}}(?:,\d{{3}})+)(?:\.\d+)?(?:万元|亿元|千元|元)?|{_PIECE_PLACEHOLDER}"),
}
