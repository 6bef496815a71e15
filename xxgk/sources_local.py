"""Find the report files under the paths a user gives to ``xxgk ingest``.

Only regular files are read. Inside a folder, a symbolic link is never followed (a link to
/etc/passwd, or out of the folder, is not the folder's report) and a FIFO, device or socket is never
opened (a FIFO blocks, /dev/zero never ends): each is skipped, logged, and listed in ``skipped``. A
path named on the command line is the operator's choice: a link there is followed, but a special
file is skipped all the same. A path may also be given as a ``file://`` URI (how the CLI passes a
path that is not valid UTF-8 through Prefect, which sends flow parameters as JSON).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

REPORT_SUFFIXES = {".txt", ".md", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc", ".wps"}
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedFile:
    """A file of the input that is not read, and why."""

    path: str
    reason: str


def as_path(raw: str | Path) -> Path:
    """A path, or a ``file://`` URI of one (percent-encoded bytes: any file name survives JSON)."""
    if isinstance(raw, str) and raw.startswith("file://"):
        return Path(os.fsdecode(unquote_to_bytes(urlsplit(raw).path)))
    return Path(raw)


def path_argument(path: str | Path) -> str:
    """How to hand a path to the flow: itself, or its ``file://`` URI when its name is not valid UTF-8."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return Path(os.path.abspath(text)).as_uri()


def _special(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISLNK, "a symbolic link (not followed)"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _skip(skipped: list[SkippedFile] | None, path: Path, reason: str) -> None:
    shown = os.fsencode(path).decode("utf-8", "backslashreplace")
    _log.warning("skipped %s: %s", shown, reason)
    if skipped is not None:
        skipped.append(SkippedFile(shown, reason))


def _walk(folder: Path, skipped: list[SkippedFile] | None) -> Iterator[Path]:
    found: list[tuple[Path, int]] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in [*files, *(d for d in dirs if (base / d).is_symlink())]:
            child = base / name
            if child.suffix.lower() not in REPORT_SUFFIXES or name.startswith("."):
                continue
            try:
                found.append((child, child.lstat().st_mode))
            except OSError:
                continue  # gone meanwhile
    for child, mode in sorted(found):
        reason = _special(mode)
        if reason is None:
            yield child
        else:
            _skip(skipped, child, reason)


def discover_files(paths: list[str | Path], skipped: list[SkippedFile] | None = None) -> Iterator[Path]:
    """Regular files given directly, and report files found recursively in folders, in a stable order;
    links inside folders and special files anywhere are skipped (appended to ``skipped`` when given)."""
    for raw in paths:
        path = as_path(raw)
        try:
            mode = path.stat().st_mode  # a link named on the command line is followed
        except OSError:
            yield path  # a missing file becomes an ingest error, not a crash
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, skipped)
        elif stat.S_ISREG(mode):
            yield path
        else:
            _skip(skipped, path, _special(mode) or "not a regular file")
