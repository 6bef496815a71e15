"""Find the report files under the paths a user gives to ``xxgk ingest``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

REPORT_SUFFIXES = {".txt", ".md", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc", ".wps"}


def discover_files(paths: list[str | Path]) -> Iterator[Path]:
    """Files given directly, and report files found recursively in folders, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in REPORT_SUFFIXES and not child.name.startswith("."):
                    yield child
        else:
            yield path  # a missing file becomes an ingest error, not a crash
