"""Find the report files under the paths a user gives to ``xxgk ingest``, and say what was left out.

A path that does not exist is an error before anything runs (``MissingPaths``). Only regular files
are read. In a folder, only files with a report suffix are read; everything else is *skipped* and
listed with the reason: another suffix (.png, .xlsx …), a hidden file or folder (``.git``,
``.DS_Store``), a symbolic link (a link to /etc/passwd, or out of the folder, is not the folder's
report: name its target instead), or something that is not a regular file (a FIFO blocks the
reader, /dev/zero never ends). A path named on the command line is the operator's choice: a link
there is followed and its suffix does not matter (its bytes decide the format), but a special file
is skipped all the same. A path may also be given as a ``file://`` URI (how the CLI passes a path
that is not valid UTF-8 through Prefect, which sends flow parameters as JSON).
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

REPORT_SUFFIXES = {".txt", ".md", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc", ".wps"}
_log = logging.getLogger(__name__)


class MissingPaths(FileNotFoundError):
    """Paths given to ingest that do not exist (nothing has been read or written)."""

    def __init__(self, paths: list[str]):
        self.paths = paths
        super().__init__("no such file or folder: " + ", ".join(paths))


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file or folder found under an ingest path and not read, with the reason."""

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


def missing_paths(paths: list[str | Path]) -> list[str]:
    """The given paths that do not exist (a dangling symbolic link counts as missing)."""
    return [_shown(as_path(p)) for p in paths if not as_path(p).exists()]


def _shown(path: Path) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _not_regular(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISLNK, "symbolic link (not followed inside a folder: give its target)"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def discover(paths: list[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """(files to read, in a stable order; what was skipped and why). Raises ``MissingPaths`` first."""
    missing = missing_paths(paths)
    if missing:
        raise MissingPaths(missing)
    files: list[Path] = []
    skipped: list[Skipped] = []
    for raw in paths:
        path = as_path(raw)
        if path.is_dir():
            found: list[Path] = []
            _walk(path, found, skipped)
            files.extend(sorted(found))
            continue
        reason = _not_regular(path.stat().st_mode)  # named on the command line: a link to a file is followed
        if reason:
            _skip(skipped, path, reason)
        else:
            files.append(path)
    return files, skipped


def _skip(skipped: list[Skipped], path: Path, reason: str) -> None:
    shown = _shown(path)
    _log.warning("skipped %s: %s", shown, reason)
    skipped.append(Skipped(shown, reason))


def _walk(folder: Path, files: list[Path], skipped: list[Skipped]) -> None:
    for root, dirs, names in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in sorted(dirs):
            if name.startswith("."):
                _skip(skipped, base / name, "hidden folder (not searched)")
            elif (base / name).is_symlink():
                _skip(skipped, base / name, "symbolic link to a folder (not followed)")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (base / d).is_symlink())
        for name in sorted(names):
            child = base / name
            try:
                reason = _not_regular(child.lstat().st_mode)
            except OSError:
                continue  # gone meanwhile
            if reason is None and name.startswith("."):
                reason = "hidden file"
            if reason is None and child.suffix.lower() not in REPORT_SUFFIXES:
                reason = f"unsupported suffix {child.suffix.lower() or '(none)'}"
            if reason:
                _skip(skipped, child, reason)
            else:
                files.append(child)
