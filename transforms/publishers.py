"""Resolve a report's publisher name to a normalised name, a kind and its administrative divisions.

The name is normalised (``transforms.publisher_names``) and read against the index of division
names (``transforms.division_index``, from ``transforms.divisions``: GB/T 2260 history plus the
current code list). A name resolves only when exactly one division fits; otherwise the match says
why it is ambiguous or unresolved, and names no division.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transforms.division_index import (
    ALIAS,
    FULL,
    SHORT,
    common_fields,
    context_score,
    dedupe_divisions,
    display_name,
    division_fields,
    is_within,
    name_index,
    one_off_index,
    valid_in,
)
from transforms.divisions import CURRENT_DATA_DATE, LEVEL_COUNTY, Division
from transforms.publisher_names import normalize_publisher_name

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

# A place name inside a longer name counts only after a whole organisation (国家税务总局南京市税务局).
_ORGANISATION_END = re.compile(r"(?:局|部|委|会|署|中心|公司|集团|银行)$")
# What may not follow a short form (苏家屯 for 苏家屯区): a lower unit or a longer division name.
_SHORT_FORM_BLOCKERS = (
    "街道", "镇", "乡", "村", "社区", "路", "街", "区", "县", "市", "省", "州", "旗", "盟",
)

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


@dataclass(frozen=True)
class _Mention:
    text: str
    end: int
    form: str  # FULL, SHORT or ALIAS
    candidates: tuple[Division, ...]


def _short_form_fits(rest: str) -> bool:
    """A short form (靖江 for 靖江市) only before a zone or government word: 公安局 names no 公安县."""
    return not rest.startswith(_SHORT_FORM_BLOCKERS) and (
        bool(_ZONE.search(rest)) or rest.startswith(_GOVERNMENT_WORDS)
    )


def _match_at(text: str, pos: int, allow_short: bool, year: int | None, any_time: bool) -> _Mention | None:
    """The longest division name (or alias, or short form) starting at pos, valid in the report year."""
    index = name_index()
    for length in range(min(index.max_len, len(text) - pos), 1, -1):
        key = text[pos : pos + length]
        entries = index.names.get(key)
        if not entries:
            continue
        entries = tuple(e for e in entries if any_time or valid_in(e[0], year))
        rest = text[pos + length :]
        for form in (FULL, ALIAS, SHORT):
            if form != FULL and not allow_short:
                break
            if form == SHORT and not _short_form_fits(rest):
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


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
    return all(r.valid_from == current for r in name_index().by_code.get(division.code, (division,)))


MISREAD_CONFIDENCE = 0.6


def _misread(text: str, parent: Division | None, year: int | None, context: str) -> tuple[list[Division], str]:
    """Divisions written at the start of ``text`` with one character misread (OCR: 沐阳县 for 沭阳县).

    Candidates lie within ``parent`` when a parent was named, else they are the ones whose place
    the report's text names best (their prefecture or province; none when it names none). Zone
    names (高新区, 新区) and real division names are never read so. Returns (candidates, as written).
    """
    index, names = one_off_index(), name_index().names
    found: dict[str, Division] = {}
    written = ""
    for length in range(3, min(8, len(text)) + 1):
        key = text[:length]
        if key in names or _ZONE.search(key):
            continue
        for i in range(length - 1):
            for division in index.get(key[:i] + "\0" + key[i + 1:], ()):
                if valid_in(division, year) and (parent is None or is_within(division, parent)):
                    found.setdefault(division.code, division)
                    written = written or key
    candidates = dedupe_divisions(list(found.values()), year)
    if parent is None and candidates:
        scores = {d.code: context_score(d, context) for d in candidates}
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
        extended = [p + (d,) for p in paths for d in mention.candidates if is_within(d, p[-1])]
        if not extended:
            if mention.form != FULL:
                break
            return PublisherMatch(
                name, normalized, _classify_kind(normalized[mention.end :], True),
                reason=f"{mention.text} is not within {used[-1].text}", method="name",
            )
        paths = extended
        used.append(mention)
    last = used[-1]
    remainder = normalized[last.end :]
    parents = dedupe_divisions([p[-1] for p in paths], report_year)
    if len(parents) == 1 and parents[0].level != LEVEL_COUNTY:
        candidates, written = _misread(remainder, parents[0], report_year, context)
        if candidates:
            return _misread_match(name, normalized, candidates, written, remainder[len(written):])
    kind = _classify_kind(remainder, True)
    for form in (SHORT, ALIAS):
        if any(m.form == form for m in used):
            methods.append(f"{form}_form")

    candidates = dedupe_divisions([p[-1] for p in paths], report_year)
    confidence = {FULL: 0.95, ALIAS: 0.9, SHORT: 0.85}[last.form]
    if len(used) > 1:
        confidence = min(0.98, confidence + 0.03)

    if len(candidates) > 1:
        places = _join([display_name(d) for d in sorted(candidates, key=lambda d: d.code)])
        scores = {d.code: context_score(d, context) for d in candidates} if context else {}
        best = max(scores.values(), default=0)
        winners = [d for d in candidates if scores.get(d.code) == best]
        if best == 0 or len(winners) > 1:
            why = "no province or city of theirs is named in the text" if best == 0 else (
                "the text names places of several of them")
            return PublisherMatch(name, normalized, kind, status=STATUS_AMBIGUOUS, **common_fields(candidates),
                                  reason=f"{last.text} matches {places}; {why}", method="+".join(methods))
        candidates = winners
        methods.append("context")
        confidence = 0.8 if best >= 2 else 0.7
    elif context and context_score(candidates[0], context) > 0:
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
        method="+".join(methods), **division_fields(division),
    )


def _misread_match(name: str, normalized: str, candidates: list[Division], written: str,
                   remainder: str) -> PublisherMatch:
    """A publisher named with one misread character: resolved (lower confidence) when one division fits."""
    kind = _classify_kind(remainder, True)
    if len(candidates) == 1:
        division = candidates[0]
        return PublisherMatch(name, normalized, kind, status=STATUS_RESOLVED, confidence=MISREAD_CONFIDENCE,
                              reason=f"{written} read as {division.name} (one character differs)",
                              method="name+misread", **division_fields(division))
    places = _join([display_name(d) for d in sorted(candidates, key=lambda d: d.code)])
    return PublisherMatch(name, normalized, kind, status=STATUS_AMBIGUOUS, **common_fields(candidates),
                          reason=f"{written} is no division; one character differs from {places}",
                          method="name+misread")
