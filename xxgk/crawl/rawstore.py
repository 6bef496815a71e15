"""Content-addressed store of raw bytes: ``<root>/ab/cd/<sha256>``.

Writes go to a temporary file in ``<root>/tmp`` and are renamed into place, so a reader never
sees a partial file and storing the same bytes twice is a no-op.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class RawStore:
    """Raw bytes keyed by their sha256."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the bytes with this digest live (whether or not they are stored)."""
        if not _SHA_RE.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def put(self, data: bytes) -> tuple[str, Path]:
        """Store ``data``; return (sha256, path)."""
        writer = self.writer()
        try:
            writer.write(data)
            return writer.commit()
        finally:
            writer.discard()

    def writer(self) -> RawWriter:
        """A streaming writer: ``write`` chunks, then ``commit`` (or ``discard``)."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        return RawWriter(self, tmp_dir)


class RawWriter:
    """Hashes and spools chunks to a temporary file until committed."""

    def __init__(self, store: RawStore, tmp_dir: Path):
        self._store = store
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="part-")
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0
        self._done = False

    def write(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self._file.write(chunk)
        self.size += len(chunk)

    def commit(self) -> tuple[str, Path]:
        """Move the spooled bytes to their content address; return (sha256, path)."""
        self._file.close()
        sha = self._hash.hexdigest()
        path = self._store.path_for(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size == self.size:
            self._tmp.unlink(missing_ok=True)
        else:
            os.replace(self._tmp, path)
        self._done = True
        return sha, path

    def discard(self) -> None:
        """Drop the temporary file (no-op after ``commit``)."""
        if self._done:
            return
        self._file.close()
        self._tmp.unlink(missing_ok=True)
        self._done = True
