"""Response bodies decoded by the crawler itself, in bounded steps, so the size cap counts decoded bytes.

httpx inflates a gzip chunk in one call: a 1,827-byte body sent with ``Content-Encoding: gzip, gzip``
became 2.1 GB in memory before the size cap saw it. The crawler therefore reads the raw stream and
decodes it here: every layer (``gzip``, ``x-gzip``, ``deflate``; at most ``MAX_LAYERS``, applied in
reverse order of the header) yields at most ``STEP`` bytes at a time, so memory holds a few such
steps whatever the ratio, and the caller counts both the bytes received and the bytes decoded.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

STEP = 64 * 1024  # bytes a layer yields at a time
MAX_LAYERS = 3
ACCEPT_ENCODING = "gzip, deflate"  # what the crawler asks for; br and zstd are not decoded here


class BodyError(Exception):
    """A body the crawler cannot decode: ``code`` is unsupported_encoding or bad_encoding."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class _Inflate:
    """One gzip/deflate layer (gzip members may follow each other; deflate may be raw or zlib-wrapped)."""

    def __init__(self, name: str):
        self.name = name
        self._wbits = 31 if name in ("gzip", "x-gzip") else 15
        self._d = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            if self._d.eof:
                data = self._d.unused_data + data
                if not data.strip(b"\x00\r\n "):  # nothing, or padding after the last member
                    return
                if self._wbits != 31:
                    raise BodyError("bad_encoding", f"data after the end of the {self.name} stream")
                self._d = zlib.decompressobj(self._wbits)  # the next gzip member
            try:
                out = self._d.decompress(data, STEP)
            except zlib.error as exc:
                if not self._started and self._wbits == 15:  # deflate sent raw, without the zlib wrapper
                    self._wbits, self._d = -15, zlib.decompressobj(-15)
                    self._started = True
                    continue
                raise BodyError("bad_encoding", f"{self.name} body cannot be decoded: {exc}") from None
            self._started = True
            data = self._d.unconsumed_tail
            if out:
                yield out
            # a full step may leave output inside zlib with no input left: ask again until a short step
            if not data and len(out) < STEP and not (self._d.eof and self._d.unused_data):
                return

    def finish(self) -> Iterator[bytes]:
        if not self._d.eof and self._started:
            try:
                out = self._d.flush(STEP)
            except zlib.error as exc:
                raise BodyError("bad_encoding", f"{self.name} body is truncated: {exc}") from None
            if out:
                yield out


class BodyDecoder:
    """Decodes a raw body chunk by chunk per its Content-Encoding header, in steps of at most STEP bytes."""

    def __init__(self, content_encoding: str | None):
        names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        unknown = [n for n in names if n not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise BodyError("unsupported_encoding", f"Content-Encoding {content_encoding!r}: "
                                                    f"{', '.join(unknown)} is not decoded (asked for {ACCEPT_ENCODING})")
        if len(names) > MAX_LAYERS:
            raise BodyError("unsupported_encoding", f"Content-Encoding {content_encoding!r}: more than "
                                                    f"{MAX_LAYERS} layers")
        self._layers = [_Inflate(n) for n in reversed(names)]  # the last encoding applied comes off first

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        yield from self._through(0, chunk)

    def finish(self) -> Iterator[bytes]:
        for i, layer in enumerate(self._layers):
            for piece in layer.finish():
                yield from self._through(i + 1, piece)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[index].feed(data):
            yield from self._through(index + 1, piece)
