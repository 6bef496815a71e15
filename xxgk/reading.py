"""Which reading of a document wins: its tables as extracted, or its text re-read another way.

Extractors read bytes into a Document without knowing the templates; transforms map rows to
facts without knowing where they came from. This module sits above both: when the extracted
tables hold no report table (too few rows whose labels the registry knows), the document is read
again as a borderless PDF's space-aligned layout text (``pdf_space``), as flattened text whose
rows lost their separators (``<layout>_flat``, one row a line) or as a page-text dump whose rows
and cells all run together (``<layout>_dump``, reference §8), and the reading that holds report
tables is kept. A scanned PDF (no text layer) is read by OCR (``pdf_ocr``), and an HTML page or
Word file without report tables has its pictures read by OCR (``html_ocr``, ``docx_ocr``:
extractors/ocr.py); the numbers OCR reads are judged by the identities in transforms/ocr_accept.py.
"""

from __future__ import annotations

from common.document import Document, Table
from common.errors import ExtractionError
from extractors.detect import extract_bytes
from transforms.dump import read_dump
from transforms.flat import extract_flat, looks_flat
from transforms.segment import match_row_label

MIN_TABLE_ROWS = 3  # rows with a template label that make an extracted table a report table


def read_bytes(data: bytes, name: str = "", http_charset: str | None = None,
               base_dir: str | None = None) -> tuple[str, Document]:
    """(source_format, Document) of the reading that holds the report's tables; raises ExtractionError.

    ``base_dir``: the folder a local HTML page was read from (its relative ``<img>`` files are read).
    """
    try:
        fmt, doc = extract_bytes(data, name, http_charset)
    except ExtractionError as exc:
        if exc.code != "no_text_layer":
            raise
        from extractors.ocr import extract_scanned_pdf

        return "pdf", extract_scanned_pdf(data)
    if fmt == "text":
        if doc.layout != "text_plain":
            return fmt, doc
        if looks_flat(doc.text):
            return fmt, extract_flat(doc.text)
        return fmt, read_dump(doc.text) or doc
    if has_report_table(doc):
        return fmt, doc
    doc = _unflatten(doc, data if fmt == "pdf" else None)
    if fmt in ("html", "docx") and not has_report_table(doc):
        doc = _read_pictures(fmt, data, doc, base_dir)
    return fmt, doc


def _read_pictures(fmt: str, data: bytes, doc: Document, base_dir: str | None) -> Document:
    """A page or Word file whose tables are pictures: the pictures read by OCR after the text.

    Kept only when the pictures hold a report table; without an OCR engine the document stays as
    read, with a warning ``ocr_unavailable`` that the report's status reason repeats.
    """
    from extractors.ocr import read_pictures
    from extractors.pictures import docx_pictures, html_pictures

    pictures = html_pictures(data, base_dir) if fmt == "html" else docx_pictures(data)
    if not pictures:
        return doc
    try:
        read = read_pictures(pictures, doc.layout, doc)
    except ExtractionError as exc:
        doc.warnings.append(f"ocr_unavailable: {len(pictures)} pictures not read: {exc.message}")
        return doc
    return read if read is not None and has_report_table(read) else doc


def has_report_table(doc: Document) -> bool:
    return any(_report_rows(table) >= MIN_TABLE_ROWS for table in doc.tables)


def _unflatten(doc: Document, pdf_data: bytes | None = None) -> Document:
    """A document without a report table whose statistical tables lost their separators (reference §8)
    → ``<layout>_flat``.

    A page or file with no report table whose text reads as flattened rows (``行政处罚2648-18538``,
    transforms/flat.py ``looks_flat``) is re-read as flattened text, the way a ``text_flat`` file
    is: its runs are then segmented by transforms/segment.py. Title, metadata and warnings stay.
    """
    if pdf_data is not None:
        spaced = _pdf_space(doc, pdf_data)
        if spaced is not None:
            return spaced
    if looks_flat(doc.text):
        flat = extract_flat(doc.text)
        layout = f"{doc.layout}_flat"
    else:
        flat = read_dump(doc.text)
        if flat is None:
            return doc
        layout = f"{doc.layout}_dump"
    return Document(layout=layout, text=flat.text, tables=flat.tables, title=doc.title,
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
    if not has_report_table(spaced):
        return None
    return Document(layout="pdf_space", text=spaced.text, tables=spaced.tables, title=doc.title,
                    meta=doc.meta, warnings=doc.warnings)


def _report_rows(table: Table) -> int:
    """Rows of an extracted table whose label cells name a template row (table 2 item or table 3 row)."""
    count = 0
    for row in table.rows():
        labels = [c.text for c in row if c.text.strip()]
        if any(match_row_label(text) for text in labels[:3]):
            count += 1
            if count >= MIN_TABLE_ROWS:
                break
    return count
