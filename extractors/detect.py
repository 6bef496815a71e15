"""Pick the extractor from the file's content (not only its name) and run it."""

from __future__ import annotations

import importlib
import re
import zipfile
from io import BytesIO

from extractors.grid import Document, ExtractionError, too_large

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
    """(source_format, Document) for one file; raises ExtractionError for unreadable input."""
    if not data or data.isspace():  # isspace: no copy of a big file
        raise ExtractionError("empty_file", "the file is empty" if not data else "the file holds only whitespace")
    if len(data) > MAX_BYTES:
        raise too_large("any file", len(data), MAX_BYTES)
    fmt = sniff_format(data, name)
    if fmt == "pdf":
        return fmt, _unflatten(_call("extractors.pdf", "extract_pdf", data), data)
    if fmt == "docx":
        return fmt, _unflatten(_call("extractors.docx", "extract_docx", data))
    if fmt in {"doc", "wps"}:
        return fmt, _unflatten(_call("extractors.office", "extract_word", data, fmt))
    if fmt == "zip":
        raise ExtractionError("unsupported_format", "a zip archive that is not a Word document")
    if fmt == "html":
        return fmt, _unflatten(_call("extractors.html", "extract_html", data, http_charset))
    from extractors.encoding import decode_text
    from extractors.text import extract_text

    text, _charset = decode_text(data)
    if "\x00" in text[:4096] or _binary_share(text) > 0.1:
        raise ExtractionError("binary_garbage", "the file is neither a document nor text")
    from extractors.flat import extract_flat, looks_flat
    from extractors.text import detect_text_layout

    if detect_text_layout(text) is None and looks_flat(text):
        return "text", extract_flat(text)
    return "text", extract_text(text)


MIN_TABLE_ROWS = 3  # rows with a template label that make an extracted table a report table


def _unflatten(doc: Document, data: bytes | None = None) -> Document:
    """A document whose statistical tables lost their separators (reference §8) → ``<layout>_flat``.

    A page or file with no report table (no extracted table holds MIN_TABLE_ROWS rows whose label
    is in the template registry) whose text reads as flattened rows (``行政处罚2648-18538``,
    extractors/flat.py ``looks_flat``) is re-read as flattened text, the way a ``text_flat`` file
    is: its runs are then segmented by transforms/segment.py. Title, metadata and warnings stay.
    """
    from extractors.flat import extract_flat, looks_flat

    if any(_report_rows(table) >= MIN_TABLE_ROWS for table in doc.tables):
        return doc
    if doc.layout == "pdf" and data is not None:
        spaced = _pdf_space(doc, data)
        if spaced is not None:
            return spaced
    if not looks_flat(doc.text):
        return doc
    flat = extract_flat(doc.text)
    return Document(layout=f"{doc.layout}_flat", text=flat.text, tables=flat.tables, title=doc.title,
                    meta=doc.meta, warnings=[*doc.warnings, *flat.warnings])


def _pdf_space(doc: Document, data: bytes) -> Document | None:
    """A PDF without ruled report tables re-read as space-aligned layout text (``pdf_space``).

    Borderless tables (WPS/converter exports) keep their columns in pdfplumber's layout text; it
    is read the way ``text_space`` is, with labels wrapped inside their cells joined back
    (extractors/text.py). Used only when that yields a report table; else None.
    """
    from extractors.pdf import layout_text
    from extractors.text import extract_text

    pages = layout_text(data)
    if not pages:
        return None
    spaced = extract_text("\n".join(pages), layout="pdf_space")
    if not any(_report_rows(table) >= MIN_TABLE_ROWS for table in spaced.tables):
        return None
    return Document(layout="pdf_space", text=spaced.text, tables=spaced.tables, title=doc.title,
                    meta=doc.meta, warnings=doc.warnings)


def _report_rows(table) -> int:
    """Rows of an extracted table whose label cells name a template row (table 2 item or table 3 row)."""
    from transforms.segment import match_row_label

    count = 0
    for row in table.rows():
        labels = [c.text for c in row if c.text.strip()]
        if any(match_row_label(text) for text in labels[:3]):
            count += 1
            if count >= MIN_TABLE_ROWS:
                break
    return count


_BINARY_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def _binary_share(text: str) -> float:
    sample = text[:8192]
    if not sample:
        return 0.0
    bad = len(_BINARY_CHARS.findall(sample))
    return bad / len(sample)
