"""Sniff a file's format from its content (not only its name) and run that format's extractor."""

from __future__ import annotations

import importlib
import re
import zipfile
from io import BytesIO

from common.document import Document
from common.errors import ExtractionError, too_large

MAX_BYTES = 256 * 1024 * 1024
_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|table|meta|div|p)[\s>/]", re.I)


def sniff_format(data: bytes, name: str = "") -> str:
    """``pdf`` | ``docx`` | ``doc`` | ``wps`` | ``html`` | ``text`` from magic bytes, then the name."""
    head = data[:2048]
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if head.lstrip().startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        return "docx" if suffix == "docx" else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: Word 97-2003 or WPS
        return "wps" if suffix == "wps" else "doc"
    if _HTML.search(data[:65536]):
        return "html"
    if suffix in {"pdf", "docx", "doc", "wps"}:
        return suffix  # a damaged file of that kind: its extractor says why
    return "text"


def _call(module: str, function: str, *args) -> Document:
    try:
        fn = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:  # an optional extractor not installed
        raise ExtractionError("extractor_unavailable", f"{module}.{function}: {exc}") from exc
    return fn(*args)


def extract_bytes(data: bytes, name: str = "", http_charset: str | None = None) -> tuple[str, Document]:
    """(source_format, Document) for one file as its format's extractor reads it; raises ExtractionError.

    Which reading of a document wins (its tables as extracted, or its text re-read as flattened or
    space-aligned rows) is decided one floor up, in xxgk/reading.py, where the templates are known.
    """
    if not data or data.isspace():  # isspace: no copy of a big file
        raise ExtractionError("empty_file", "the file is empty" if not data else "the file holds only whitespace")
    if len(data) > MAX_BYTES:
        raise too_large("any file", len(data), MAX_BYTES)
    fmt = sniff_format(data, name)
    if fmt == "pdf":
        return fmt, _call("extractors.pdf", "extract_pdf", data)
    if fmt == "docx":
        return fmt, _call("extractors.docx", "extract_docx", data)
    if fmt in {"doc", "wps"}:
        return fmt, _call("extractors.office", "extract_word", data, fmt)
    if fmt == "zip":
        raise ExtractionError("unsupported_format", "a zip archive that is not a Word document")
    if fmt == "html":
        return fmt, _call("extractors.html", "extract_html", data, http_charset)
    from common.encoding import decode_text
    from extractors.text import extract_text

    text, _charset = decode_text(data)
    if "\x00" in text[:4096] or _binary_share(text) > 0.1:
        raise ExtractionError("binary_garbage", "the file is neither a document nor text")
    return "text", extract_text(text)


_BINARY_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def _binary_share(text: str) -> float:
    sample = text[:8192]
    if not sample:
        return 0.0
    bad = len(_BINARY_CHARS.findall(sample))
    return bad / len(sample)
