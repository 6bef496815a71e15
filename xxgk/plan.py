"""What an ingest run reads: the files under the given paths (and items handed in by the crawl).

Each item carries the sha256 staging already holds for its URI, so equal bytes are not read again.
A URI staging has never seen whose bytes a loaded report already holds (a moved folder, a copy of
a report under another path or URL) is not read either: it is recorded as an alias of that report
(``same_bytes``). Only files whose size equals a loaded report's are hashed to find out, and only
reports whose own URI is not part of this run count as holders (their bytes cannot change under
this run). Files found in folders but not read are listed as skipped (xxgk/sources_local.py).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from xxgk import staging
from xxgk.process import EXTRACTOR_VERSION
from xxgk.records import SourceItem, source_uri_for
from xxgk.sources_local import Skipped, discover


@dataclass
class Plan:
    """One ingest run's work: files to read, copies of loaded reports, files left out."""

    items: list[SourceItem] = field(default_factory=list)
    same_bytes: list[dict] = field(default_factory=list)  # staging.record_aliases rows, plus ``same_as``
    skipped: list[Skipped] = field(default_factory=list)


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None  # the worker reads it and records why it cannot


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def plan_ingest(found: tuple[list, list[Skipped]], con, items: list[SourceItem] | None = None) -> Plan:
    """The plan for the files ``discover`` found and the crawl's items, against what staging holds."""
    files, skipped = found
    listed = list(items or []) + [SourceItem(source_uri_for(p), str(p)) for p in files]
    listed = list({item.source_uri: item for item in listed}.values())  # a file named twice is read once
    known = staging.known_versions(con)
    aliases = staging.known_aliases(con)
    holders = staging.content_holders(con, EXTRACTOR_VERSION)
    sizes = {size for size, _uris in holders.values()}
    in_run = {item.source_uri for item in listed}
    plan = Plan(skipped=list(skipped))
    for item in listed:
        if item.source_uri in known:
            sha, version = known[item.source_uri]
            item.known_sha256 = sha if version == EXTRACTOR_VERSION else None
        elif item.source_uri in aliases:
            item.known_sha256 = aliases[item.source_uri]
        elif holders:
            size = _size(item.path)
            digest = item.sha256 or (_digest(item.path) if size in sizes else None)
            holder = next((u for u in holders.get(digest, (0, ()))[1] if u not in in_run), None)
            if holder is not None:
                plan.same_bytes.append({"source_uri": item.source_uri, "sha256": digest, "byte_size": size,
                                        "fetched_at": item.fetched_at, "publisher_hint": item.publisher_hint,
                                        "same_as": holder})
                continue
        plan.items.append(item)
    return plan


def plan_items(paths: list[str], con, items: list[SourceItem] | None = None) -> list[SourceItem]:
    """The items of ``plan_ingest`` for these paths (what extraction reads)."""
    return plan_ingest(discover(paths), con, items).items
