"""What an ingest run reads: the files under the given paths (and items handed in by the crawl),
each carrying the sha256 staging already holds for it, so equal bytes are not read again."""

from __future__ import annotations

from xxgk import staging
from xxgk.process import EXTRACTOR_VERSION
from xxgk.records import SourceItem, source_uri_for
from xxgk.sources_local import discover_files


def plan_items(paths: list[str], con, items: list[SourceItem] | None = None) -> list[SourceItem]:
    """Source items for the given paths, each carrying the sha256 staging already holds for it."""
    known = staging.known_versions(con)
    listed = list(items or []) + [SourceItem(source_uri_for(p), str(p)) for p in discover_files(paths)]
    items = list({item.source_uri: item for item in listed}.values())  # a file named twice is read once
    for item in items:
        sha, version = known.get(item.source_uri, (None, None))
        item.known_sha256 = sha if version == EXTRACTOR_VERSION else None
    return items
