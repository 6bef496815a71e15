"""PDF extractor: ruled tables as span-aware cell grids plus the narrative text, via pdfplumber.

Tables come from ruling lines (pdfplumber's ``lines`` strategy). Each found table becomes a
*piece*: its cell bounding boxes are snapped to the table's distinct x / y edges, which gives
origin cells with row and column spans. A piece that starts a page right where the previous
page's last piece ended, with a compatible column structure, is merged into it (a table cut
by a page break); a label fragment cut at the break (``法提供``) is glued back onto its cell.
Page-number lines and running headers/footers (a line whose text, digits aside, recurs at the same
height in the top or bottom band of two or more pages) do not count as text between the two parts;
in the narrative a running line is kept once, at the start, out of the paragraph flow.
One-column "tables" (prose lines sitting on filled rectangles) are not tables: their text
stays in the narrative. Pages whose text layer is unmapped (``(cid:123)``, U+FFFD) are read
again through pypdfium2's text layer.

Budgets, because a PDF is hostile input (a 31 MB file of 300,000 empty pages took pdfplumber 46 s and
1.5 GB just to list its pages): the page count is read first with pypdfium2 (its page tree, in C,
lazily) and a file of more than ``MAX_PDF_PAGES`` pages is ``too_complex`` before pdfplumber opens
it; at most ``MAX_PAGES`` pages are read; a page whose content streams are over
``MAX_PAGE_CONTENT_BYTES`` is skipped (``page_too_complex`` warning); reading pages stops after
``PAGES_SECONDS`` (``pages_truncated`` warning): what was read by then is kept.

The parts live in their own modules: ``extractors/pdf_pages.py`` reads one page (lines, table
pieces) and marks running lines; ``extractors/pdf_tables.py`` assembles pieces into tables across
pages; ``extractors/pdf_narrative.py`` joins the narrative and picks the title. This module opens
the file, chooses the text layer per page, reads the metadata and puts the Document together.
"""

from __future__ import annotations

import io
import time
from typing import Any, Literal

import pdfplumber
import pypdfium2

from common.document import Document
from common.errors import ExtractionError, too_large
from extractors.pdf_narrative import narrative_text, pick_title
from extractors.pdf_pages import Page, is_page_number, mark_running_lines, read_page
from extractors.pdf_tables import assemble_tables, is_value_text

__all__ = ["extract_pdf", "is_page_number", "is_value_text", "layout_text", "unmapped_share"]

MAX_BYTES = 100 * 1024 * 1024
MAX_PAGES = 200  # pages read; the rest of a longer file is skipped with a warning
MAX_PDF_PAGES = 2000  # a file with more pages is refused (too_complex) before pdfplumber lists them
MAX_PAGE_CONTENT_BYTES = 16 * 1024 * 1024  # a page whose content streams are larger is skipped
PAGES_SECONDS = 60.0  # reading pages stops after this long; the pages read are kept
MIN_TEXT_CHARS = 20  # fewer visible characters than this in the whole file: no text layer
UNMAPPED_SHARE = 0.10  # share of (cid:..)/U+FFFD characters that triggers the pypdfium2 text layer

TextLayer = Literal["auto", "pdfplumber", "pdfium"]


def unmapped_share(chars: list[str]) -> float:
    """Share of characters a font without a Unicode map left unreadable: (cid:N), U+FFFD, controls, PUA."""
    if not chars:
        return 0.0
    return sum(1 for c in chars if _is_unmapped(c)) / len(chars)


def _is_unmapped(c: str) -> bool:
    if c.startswith("(cid:") or "\ufffd" in c:
        return True
    o = ord(c[0]) if len(c) == 1 else 0x41
    return (o < 0x20 and c not in "\r\n\t") or 0xE000 <= o <= 0xF8FF



def extract_pdf(data: bytes, *, text_layer: TextLayer = "auto") -> Document:
    """Extract a PDF report into a Document (layout ``pdf``).

    ``text_layer`` chooses the character source: ``auto`` uses pdfplumber and falls back to
    pypdfium2 on pages with unmapped fonts; ``pdfium`` / ``pdfplumber`` force one source.
    """
    if len(data) > MAX_BYTES:
        raise too_large("PDF files", len(data), MAX_BYTES)
    if b"%PDF-" not in data[:1024]:
        raise ExtractionError("pdf_unreadable", "not a PDF: no %PDF- header in the first 1024 bytes")
    warnings: list[str] = []
    n_pages = page_count(data)
    if n_pages is not None and n_pages > MAX_PDF_PAGES:
        raise ExtractionError("too_complex", f"the PDF has {n_pages} pages, over the cap of {MAX_PDF_PAGES}")
    try:
        plumber = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types on hostile input
        raise ExtractionError("pdf_unreadable", _describe_open_error(exc)) from None
    pdfium_doc: pypdfium2.PdfDocument | None = None
    try:
        try:
            all_pages = plumber.pages
        except Exception as exc:
            raise ExtractionError("pdf_unreadable", _describe_open_error(exc)) from None
        if not all_pages:
            raise ExtractionError("pdf_unreadable", "PDF has no pages")
        pages = all_pages[:MAX_PAGES]
        if len(all_pages) > MAX_PAGES:
            warnings.append(f"pages_truncated: read {MAX_PAGES} of {len(all_pages)} pages")
        try:
            pdfium_doc = pypdfium2.PdfDocument(data)
        except Exception as exc:  # pdfminer read it; the pypdfium2 fallback is just unavailable
            warnings.append(f"pdfium_unavailable: {exc}")
        meta = _metadata(plumber, pdfium_doc, len(all_pages))
        read: list[Page] = []
        visible = 0
        started = time.monotonic()
        for page in pages:
            if read and time.monotonic() - started > PAGES_SECONDS:  # the first page is always read
                warnings.append(f"pages_truncated: read {len(read)} pages in {PAGES_SECONDS:g} s, the budget for "
                                f"reading pages; pages {page.page_number}-{len(pages)} skipped")
                break
            content = _content_bytes(page)
            if content > MAX_PAGE_CONTENT_BYTES:
                warnings.append(f"page_too_complex: p{page.page_number}: {content} bytes of content streams, over "
                                f"the cap of {MAX_PAGE_CONTENT_BYTES}: page skipped")
                continue
            try:
                chars = [c["text"] for c in page.chars if not c["text"].isspace()]
            except Exception as exc:
                warnings.append(f"page_unreadable: p{page.page_number}: {type(exc).__name__}: {exc}")
                continue
            visible += len(chars)
            use_pdfium = text_layer == "pdfium" or (
                text_layer == "auto" and unmapped_share(chars) > UNMAPPED_SHARE
            )
            textpage = None
            if use_pdfium:
                textpage = _pdfium_textpage(pdfium_doc, page.page_number, text_layer, warnings)
            try:
                read.append(read_page(page, textpage, warnings))
            except Exception as exc:
                warnings.append(f"page_unreadable: p{page.page_number}: {type(exc).__name__}: {exc}")
        if not read:
            if any(w.startswith(("page_too_complex", "pages_truncated")) for w in warnings):
                raise ExtractionError("too_complex", "no page could be read within the caps: "
                                                     + "; ".join(warnings[-3:]))
            raise ExtractionError("pdf_unreadable", "no page could be read: " + "; ".join(warnings[-3:]))
        if visible < MIN_TEXT_CHARS:
            raise ExtractionError(
                "no_text_layer", f"PDF has {visible} text characters on {len(pages)} pages (scanned image?)"
            )
    finally:
        _close(plumber, pdfium_doc)

    mark_running_lines(read)
    tables = assemble_tables(read)
    text = narrative_text(read)
    return Document(
        layout="pdf",
        text=text,
        tables=tables,
        title=pick_title(read, meta),
        meta=meta,
        warnings=warnings,
    )


def layout_text(data: bytes) -> list[str]:
    """Per-page text with the page layout kept (pdfplumber ``layout=True``: columns as spaces).

    For borderless tables (no ruling lines), read by extractors/text.py as ``pdf_space``. Same caps
    as extract_pdf (size, MAX_PAGES); an unreadable page gives an empty string, an unreadable file [].
    """
    if len(data) > MAX_BYTES or b"%PDF-" not in data[:1024]:
        return []
    n_pages = page_count(data)
    if n_pages is not None and n_pages > MAX_PDF_PAGES:
        return []
    try:
        plumber = pdfplumber.open(io.BytesIO(data))
    except Exception:
        return []
    texts: list[str] = []
    started = time.monotonic()
    try:
        for page in plumber.pages[:MAX_PAGES]:
            if texts and time.monotonic() - started > PAGES_SECONDS:
                break
            if _content_bytes(page) > MAX_PAGE_CONTENT_BYTES:
                texts.append("")
                continue
            try:
                texts.append(page.extract_text(layout=True) or "")
            except Exception:
                texts.append("")
    except Exception:
        return texts
    finally:
        _close(plumber, None)
    return texts


def page_count(data: bytes) -> int | None:
    """The number of pages by pypdfium2 (reads the page tree's counts, not the pages); None if it cannot say."""
    try:
        doc = pypdfium2.PdfDocument(data)
    except Exception:
        return None
    try:
        return len(doc)
    except Exception:
        return None
    finally:
        doc.close()


def _content_bytes(page: Any) -> int:
    """Bytes of a page's content streams as stored (0 when they cannot be read: the page's reader says why)."""
    try:
        from pdfminer.pdftypes import resolve1

        contents = resolve1(page.page_obj.attrs.get("Contents"))
        streams = contents if isinstance(contents, list) else [contents]
        total = 0
        for ref in streams:
            stream = resolve1(ref)
            total += len(getattr(stream, "rawdata", None) or getattr(stream, "data", None) or b"")
        return total
    except Exception:
        return 0


def _close(plumber: Any, pdfium_doc: Any | None) -> None:
    """Close both readers; pdfplumber's close() walks the page tree again and may raise on bad files."""
    try:
        plumber.close()
    except Exception:
        plumber.stream.close()
    if pdfium_doc is not None:
        pdfium_doc.close()


def _describe_open_error(exc: Exception) -> str:
    name = type(exc).__name__
    detail = str(exc) or name
    if "password" in name.lower() or "password" in detail.lower() or "encrypt" in detail.lower():
        return f"PDF is encrypted and cannot be opened: {detail}"
    return f"PDF cannot be parsed (malformed or truncated): {name}: {detail}"


def _pdfium_textpage(doc: Any | None, number: int, text_layer: str, warnings: list[str]) -> Any | None:
    """pypdfium2's text layer for a page whose fonts pdfminer could not map, if it reads better."""
    if doc is None:
        warnings.append(f"text_layer_unmapped: p{number}: no fallback text layer available")
        return None
    try:
        textpage = doc[number - 1].get_textpage()
        chars = [c for c in textpage.get_text_range() if not c.isspace()]
    except Exception as exc:
        warnings.append(f"text_layer_unmapped: p{number}: pypdfium2 failed: {type(exc).__name__}: {exc}")
        return None
    if text_layer == "pdfium":
        return textpage
    if unmapped_share(chars) > UNMAPPED_SHARE:
        warnings.append(f"text_layer_unmapped: p{number}: fonts without a Unicode map, no layer maps them")
        return None
    warnings.append(f"text_layer_fallback: p{number}: unmapped fonts, text read with pypdfium2")
    return textpage


def _metadata(pdf: Any, pdfium_doc: Any | None, n_pages: int) -> dict[str, str]:
    """Document info: pypdfium2 decodes UTF-16 strings that pdfminer leaves as PDFDocEncoding."""
    meta: dict[str, str] = {"pages": str(n_pages)}
    try:
        info = dict(pdf.metadata or {})
        if pdfium_doc is not None:
            info.update({k: v for k, v in pdfium_doc.get_metadata_dict().items() if v})
    except Exception:
        return meta
    for key, value in info.items():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str | int | float) and str(value).strip():
            meta[str(key)] = str(value).replace("\x00", "").strip()
    return meta
