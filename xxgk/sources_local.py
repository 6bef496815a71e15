"""Find the report files under the paths a user gives to ``xxgk ingest``, and say what was left out.

A path that does not exist is an error before anything runs (``MissingPaths``). In a folder, only
regular files with a report suffix are read; everything else is *skipped* and listed with the
reason: another suffix (.png, .xlsx …), a hidden file or folder (``.git``, ``.DS_Store``), a
symbolic link (it may point anywhere: name its target instead), or something that is not a regular
file (a FIFO would block the reader). A file named on the command line is read whatever its
suffix (its bytes decide the format), unless it is not a regular file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

REPORT_SUFFIXES = {".txt", ".md", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc", ".wps"}


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


def missing_paths(paths: list[str | Path]) -> list[str]:
    """The given paths that do not exist (a dangling symbolic link counts as missing)."""
    return [str(p) for p in paths if not Path(p).exists()]


def _not_regular(mode: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "symbolic link (not followed inside a folder: give its target)"
    if not stat.S_ISREG(mode):
        return "not a regular file (FIFO, socket or device)"
    return None


def discover(paths: list[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """(files to read, in a stable order; what was skipped and why). Raises ``MissingPaths`` first."""
    missing = missing_paths(paths)
    if missing:
        raise MissingPaths(missing)
    files: list[Path] = []
    skipped: list[Skipped] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[Path] = []
            _walk(path, found, skipped)
            files.extend(sorted(found))
            continue
        reason = _not_regular(path.stat().st_mode)  # named on the command line: a link to a file is followed
        if reason:
            skipped.append(Skipped(str(path), reason))
        else:
            files.append(path)
    return files, skipped


def _walk(folder: Path, files: list[Path], skipped: list[Skipped]) -> None:
    for root, dirs, names in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in sorted(dirs):
            if name.startswith("."):
                skipped.append(Skipped(str(base / name), "hidden folder (not searched)"))
            elif (base / name).is_symlink():
                skipped.append(Skipped(str(base / name), "symbolic link to a folder (not followed)"))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (base / d).is_symlink())
        for name in sorted(names):
            child = base / name
            reason = _not_regular(child.lstat().st_mode)
            if reason is None and name.startswith("."):
                reason = "hidden file"
            if reason is None and child.suffix.lower() not in REPORT_SUFFIXES:
                reason = f"unsupported suffix {child.suffix.lower() or '(none)'}"
            if reason:
                skipped.append(Skipped(str(child), reason))
            else:
                files.append(child)
