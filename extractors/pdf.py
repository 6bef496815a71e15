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
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import pdfplumber
import pypdfium2

from common.document import Cell, Document, Table, join_wrapped
from common.errors import ExtractionError, too_large

MAX_BYTES = 100 * 1024 * 1024
MAX_PAGES = 200
MAX_GRAPHICS = 20000  # drawing objects on one page beyond which tables are not searched
MIN_TEXT_CHARS = 20  # fewer visible characters than this in the whole file: no text layer
UNMAPPED_SHARE = 0.10  # share of (cid:..)/U+FFFD characters that triggers the pypdfium2 text layer
SNAP_TOLERANCE = 2.0  # points: cell edges closer than this are the same grid line
NORM_TOLERANCE = 0.012  # share of table width: column edges of two pieces that are the same edge

TextLayer = Literal["auto", "pdfplumber", "pdfium"]

_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_BARE_NUMBER_RE = re.compile(r"^\d{1,4}$")
_ENUMERATED_RE = re.compile(
    r"^(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、.．]|[\d０-９]+\s*[、.．]|第[一二三四五六七八九十\d]+)"
)
_HEADING_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+[、.．]\s*\S|第[一二三四五六七八九十]+[章节部分])"
)
_VALUE_CHARS_RE = re.compile(r"[\s\d０-９+＋\-－—–.．,，%％()（）增减万元项件个条/／]")
_PLACEHOLDERS = {"-", "—", "——", "－", "/", "／", "无", "–"}


# ---------------------------------------------------------------------------- text helpers


def is_page_number(text: str) -> bool:
    """True for page-number lines such as ``- 4 -``, ``第4页``, ``4/6``."""
    return bool(_PAGE_NUMBER_RE.match(" ".join(text.split())))


def is_value_text(text: str) -> bool:
    """True for cell texts that are a value (number, signed change, amount, placeholder), not a label."""
    t = text.strip()
    if t in _PLACEHOLDERS:
        return True
    return bool(re.search(r"[\d０-９]", t)) and not _VALUE_CHARS_RE.sub("", t)


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


# ---------------------------------------------------------------------------- data holders


@dataclass(slots=True)
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    running: bool = False  # a running header/footer: the same text at the same height on several pages


@dataclass(slots=True)
class _PCell:
    """A cell while tables are being assembled: grid indices plus normalised x extent."""

    row: int
    col: int
    row_span: int
    col_span: int
    text: str
    locator: str
    nx0: float = 0.0
    nx1: float = 0.0


@dataclass(slots=True)
class _Piece:
    """One ruled table as found on one page."""

    page: int  # 1-based
    index: int  # 1-based among the page's kept tables
    bbox: tuple[float, float, float, float]
    cells: list[_PCell]
    n_rows: int
    n_cols: int
    edges: list[float]  # normalised column edges, 0.0 … 1.0


@dataclass(slots=True)
class _Page:
    number: int
    height: float
    lines: list[_Line]
    pieces: list[_Piece] = field(default_factory=list)


# ---------------------------------------------------------------------------- public entry


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
        read: list[_Page] = []
        visible = 0
        for page in pages:
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
                read.append(_read_page(page, textpage, warnings))
            except Exception as exc:
                warnings.append(f"page_unreadable: p{page.page_number}: {type(exc).__name__}: {exc}")
        if not read:
            raise ExtractionError("pdf_unreadable", "no page could be read: " + "; ".join(warnings[-3:]))
        if visible < MIN_TEXT_CHARS:
            raise ExtractionError(
                "no_text_layer", f"PDF has {visible} text characters on {len(pages)} pages (scanned image?)"
            )
    finally:
        _close(plumber, pdfium_doc)

    _mark_running_lines(read)
    tables = _assemble_tables(read)
    text = _narrative(read)
    return Document(
        layout="pdf",
        text=text,
        tables=tables,
        title=_title(read, meta),
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
    try:
        plumber = pdfplumber.open(io.BytesIO(data))
    except Exception:
        return []
    texts: list[str] = []
    try:
        for page in plumber.pages[:MAX_PAGES]:
            try:
                texts.append(page.extract_text(layout=True) or "")
            except Exception:
                texts.append("")
    except Exception:
        return texts
    finally:
        _close(plumber, None)
    return texts


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


# ---------------------------------------------------------------------------- one page


def _read_page(page: Any, textpage: Any | None, warnings: list[str]) -> _Page:
    """Find the page's tables (kept ones only) and its text lines outside them."""
    graphics = sum(len(page.objects.get(kind, [])) for kind in ("line", "rect", "curve"))
    if graphics > MAX_GRAPHICS:
        warnings.append(f"tables_skipped: p{page.page_number}: {graphics} drawing objects, over the cap")
        found = []
    else:
        found = page.find_tables()
    pieces: list[_Piece] = []
    for table in found:
        piece = _piece(page, table, textpage, len(pieces) + 1)
        if piece is not None:
            pieces.append(piece)
    boxes = [p.bbox for p in pieces]
    if textpage is not None:
        lines = _pdfium_lines(textpage, page.height, boxes)
    else:
        lines = _plumber_lines(page, boxes)
    lines = [ln for ln in lines if not _is_margin_number(ln, page.height)]
    return _Page(number=page.page_number, height=page.height, lines=lines, pieces=pieces)


def _is_margin_number(line: _Line, height: float) -> bool:
    if is_page_number(line.text):
        return True
    in_margin = line.top > height * 0.9 or line.bottom < height * 0.1
    return in_margin and bool(_BARE_NUMBER_RE.match(line.text.strip()))


RUNNING_BAND = 0.15  # share of the page height at the top and bottom where running headers/footers sit
RUNNING_TOLERANCE = 3.0  # points: the same running line on two pages sits this close vertically


def _running_key(text: str) -> str:
    """A line's text with spaces dropped and digits blanked (``第3页`` and ``第4页`` compare equal)."""
    return re.sub(r"[\d０-９]+", "#", "".join(text.split()))


def _mark_running_lines(pages: list[_Page]) -> None:
    """Mark running headers/footers: lines in the top or bottom band of the page whose text (digits
    blanked) recurs at the same height on at least two pages. They are not part of the content flow."""
    seen: dict[str, list[tuple[int, float]]] = {}
    for page in pages:
        for ln in page.lines:
            if ln.bottom < page.height * RUNNING_BAND or ln.top > page.height * (1 - RUNNING_BAND):
                seen.setdefault(_running_key(ln.text), []).append((page.number, ln.top))
    for page in pages:
        for ln in page.lines:
            hits = seen.get(_running_key(ln.text), [])
            pages_at = {n for n, top in hits if abs(top - ln.top) <= RUNNING_TOLERANCE}
            ln.running = len(pages_at) >= 2 and page.number in pages_at


def _inside(x: float, y: float, boxes: list[tuple[float, float, float, float]]) -> bool:
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def _plumber_lines(page: Any, boxes: list[tuple[float, float, float, float]]) -> list[_Line]:
    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        return not _inside((obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2, boxes)

    out = []
    for ln in page.filter(keep).extract_text_lines(return_chars=True):
        text = " ".join(ln["text"].split())
        if not text:
            continue
        sizes = [c.get("size", 0.0) for c in ln["chars"] if not c["text"].isspace()]
        size = Counter(round(s, 1) for s in sizes).most_common(1)[0][0] if sizes else 0.0
        out.append(_Line(text, ln["x0"], ln["x1"], ln["top"], ln["bottom"], size))
    return out


def _pdfium_lines(
    textpage: Any, height: float, boxes: list[tuple[float, float, float, float]]
) -> list[_Line]:
    """Text lines from pypdfium2's character boxes (PDF coordinates flipped to top-down)."""
    n = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) != n:  # surrogate pairs: fall back to one call per character
        text = "".join(textpage.get_text_range(i, 1) or " " for i in range(n))
    lines: list[_Line] = []
    buf: list[tuple[str, tuple[float, float, float, float] | None]] = []

    def flush() -> None:
        kept = [(ch, box) for ch, box in buf if box is not None or ch == " "]
        boxes_ = [b for _, b in kept if b is not None]
        s = " ".join("".join(ch for ch, _ in kept).split())
        if s and boxes_:
            lines.append(
                _Line(
                    s,
                    min(b[0] for b in boxes_),
                    max(b[2] for b in boxes_),
                    min(b[1] for b in boxes_),
                    max(b[3] for b in boxes_),
                    float(round(max(b[3] - b[1] for b in boxes_))),  # glyph box height stands in for size
                )
            )
        buf.clear()

    for i in range(n):
        ch = text[i]
        if ch in "\r\n":
            if ch == "\n" or (i + 1 < n and text[i + 1] != "\n"):
                flush()
            continue
        if ch.isspace():
            buf.append((" ", None))
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        box = (left, height - top, right, height - bottom)
        if _inside((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, boxes):
            continue
        buf.append((ch, box))
    flush()
    lines.sort(key=lambda ln: (round(ln.top), ln.x0))
    return lines


def _snap(values: list[float], tolerance: float) -> list[float]:
    """Cluster close coordinates; return the sorted cluster centres."""
    centres: list[list[float]] = []
    for v in sorted(values):
        if centres and v - centres[-1][-1] <= tolerance:
            centres[-1].append(v)
        else:
            centres.append([v])
    return [sum(c) / len(c) for c in centres]


def _nearest(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def _piece(page: Any, table: Any, textpage: Any | None, index: int) -> _Piece | None:
    """Snap a pdfplumber table's cell boxes to a grid; None for one-column or empty 'tables'."""
    texts = table.extract()
    boxes: list[tuple[tuple[float, float, float, float], str | None]] = []
    for row, row_texts in zip(table.rows, texts, strict=False):
        for bbox, text in zip(row.cells, row_texts, strict=False):
            if bbox is not None:
                boxes.append((bbox, text))
    if not boxes:
        return None
    xs = _snap([b[0] for b, _ in boxes] + [b[2] for b, _ in boxes], SNAP_TOLERANCE)
    ys = _snap([b[1] for b, _ in boxes] + [b[3] for b, _ in boxes], SNAP_TOLERANCE)
    n_cols, n_rows = len(xs) - 1, len(ys) - 1
    if n_cols < 2 or n_rows < 1:
        return None
    x0, x1 = xs[0], xs[-1]
    width = max(x1 - x0, 1.0)
    cells: list[_PCell] = []
    for bbox, text in boxes:
        c0, c1 = _nearest(xs, bbox[0]), _nearest(xs, bbox[2])
        r0, r1 = _nearest(ys, bbox[1]), _nearest(ys, bbox[3])
        if c1 <= c0 or r1 <= r0:
            continue
        if textpage is not None:
            text = textpage.get_text_bounded(
                left=bbox[0], bottom=page.height - bbox[3], right=bbox[2], top=page.height - bbox[1]
            )
        lines = [ln for ln in (text or "").replace("\r", "\n").split("\n") if not is_page_number(ln)]
        cells.append(
            _PCell(
                row=r0,
                col=c0,
                row_span=r1 - r0,
                col_span=c1 - c0,
                text=join_wrapped(lines),
                locator=f"p{page.page_number} t{index} r{r0 + 1} c{c0 + 1}",
                nx0=(xs[c0] - x0) / width,
                nx1=(xs[c1] - x0) / width,
            )
        )
    if not any(c.text for c in cells):
        return None
    return _Piece(
        page=page.page_number,
        index=index,
        bbox=(x0, ys[0], x1, ys[-1]),
        cells=cells,
        n_rows=n_rows,
        n_cols=n_cols,
        edges=[(x - x0) / width for x in xs],
    )


# ---------------------------------------------------------------------------- tables


@dataclass(slots=True)
class _Logical:
    """A table being assembled from one or more pieces."""

    pieces: list[_Piece]
    cells: list[_PCell]
    n_rows: int
    edges: list[float]


def _assemble_tables(pages: list[_Page]) -> list[Table]:
    logical: list[_Logical] = []
    prev_page: _Page | None = None
    for page in pages:
        for i, piece in enumerate(page.pieces):
            last = logical[-1] if logical else None
            if (
                i == 0
                and last is not None
                and prev_page is not None
                and last.pieces[-1] is (prev_page.pieces[-1] if prev_page.pieces else None)
                and prev_page.number == page.number - 1
                and _ends_page(prev_page, last.pieces[-1])
                and _starts_page(page, piece)
                and _merge_into(last, piece)
            ):
                continue
            logical.append(_Logical([piece], [_copy(c) for c in piece.cells], piece.n_rows, piece.edges))
        prev_page = page
    return [_to_table(t) for t in logical]


def _copy(c: _PCell) -> _PCell:
    return _PCell(c.row, c.col, c.row_span, c.col_span, c.text, c.locator, c.nx0, c.nx1)


def _ends_page(page: _Page, piece: _Piece) -> bool:
    """No narrative line below the table on its page (page numbers are gone, running footers ignored)."""
    return not any(ln.top > piece.bbox[3] - 1 and not ln.running for ln in page.lines)


def _starts_page(page: _Page, piece: _Piece) -> bool:
    """No narrative line above the table on its page (running headers ignored)."""
    return not any(ln.bottom < piece.bbox[1] + 1 and not ln.running for ln in page.lines)


def _merge_into(target: _Logical, piece: _Piece) -> bool:
    """Append a continuation piece if its columns line up with the target's; False otherwise."""
    prev = target.pieces[-1]
    w_prev, w_new = prev.bbox[2] - prev.bbox[0], piece.bbox[2] - piece.bbox[0]
    if abs(w_prev - w_new) > 0.1 * max(w_prev, w_new):
        return False
    union = _snap(target.edges + piece.edges, NORM_TOLERANCE)
    if len(union) not in (len(target.edges), len(piece.edges)):
        return False  # neither column structure contains the other
    new = [_copy(c) for c in piece.cells]
    for c in target.cells + new:
        c.col = _nearest(union, c.nx0)
        c.col_span = max(_nearest(union, c.nx1) - c.col, 1)
    target.edges = union
    skip = _repeated_header_rows(target.cells, new)
    new = [c for c in new if c.row >= skip]
    for c in new:
        c.row -= skip
    offset = _glue_fragments(target, new)
    for c in new:
        c.row += offset
    target.cells.extend(new)
    target.n_rows = max((c.row + c.row_span for c in target.cells), default=0)
    target.pieces.append(piece)
    _collapse_empty_rows(target)
    return True


def _row_texts(cells: list[_PCell], row: int) -> list[tuple[int, int, str]]:
    return sorted((c.col, c.col_span, c.text) for c in cells if c.row == row)


def _repeated_header_rows(old: list[_PCell], new: list[_PCell]) -> int:
    """Number of leading rows of the continuation that repeat the table's leading rows."""
    n = 0
    while _row_texts(new, n) and _row_texts(new, n) == _row_texts(old, n):
        n += 1
    return n


def _covering(cells: list[_PCell], row: int, col: int) -> _PCell | None:
    for c in cells:
        if c.row <= row < c.row + c.row_span and c.col <= col < c.col + c.col_span:
            return c
    return None


def _is_label(c: _PCell | None) -> bool:
    return c is not None and bool(c.text) and not is_value_text(c.text)


def _glue_fragments(target: _Logical, new: list[_PCell]) -> int:
    """Glue the label fragments of the continuation's first row onto the cells cut at the break.

    Returns the row offset for the continuation's cells: ``n_rows`` normally, ``n_rows - 1``
    when the whole first row was a fragment of the last row (its labels are glued, it has no values).
    """
    last = target.n_rows - 1
    first = [c for c in new if c.row == 0]
    pairs = []
    for y in first:
        x = _covering(target.cells, last, y.col)
        same_extent = x is not None and x.col == y.col and x.col_span == y.col_span
        pairs.append((y, x if same_extent else None))
    # A row that only continues the previous row: labels that are fragments, value cells empty.
    fragment_row = all(
        x is not None and (not y.text or (not is_value_text(y.text) and not _ENUMERATED_RE.match(y.text)))
        for y, x in pairs
    ) and any(y.text for y, _ in pairs)
    if fragment_row:
        for y, x in pairs:
            if x is None:  # unreachable: checked above; keeps the type checker informed
                continue
            x.text = join_wrapped([x.text, y.text])
            x.row_span += y.row_span - 1
            if y.text:
                x.locator += f" + {y.locator}"
            new.remove(y)
        return target.n_rows - 1
    for y, x in pairs:
        if x is None or not _is_label(x):
            continue
        if y.text and (is_value_text(y.text) or _ENUMERATED_RE.match(y.text)):
            continue
        # Only group labels (with sub-labels to their right on both sides of the break) are cut.
        right_old = _covering(target.cells, last, x.col + x.col_span)
        right_new = next((c for c in first if c.col == y.col + y.col_span), None)
        if not (_is_label(right_old) and _is_label(right_new)):
            continue
        x.text = join_wrapped([x.text, y.text])
        x.row_span += y.row_span
        if y.text:
            x.locator += f" + {y.locator}"
        new.remove(y)
    return target.n_rows


def _collapse_empty_rows(target: _Logical) -> None:
    """Drop grid rows where no cell starts (every slot covered from above or empty)."""
    r = 0
    while r < target.n_rows:
        if any(c.row == r for c in target.cells):
            r += 1
            continue
        for c in target.cells:
            if c.row > r:
                c.row -= 1
            elif c.row + c.row_span > r:
                c.row_span -= 1
        target.n_rows -= 1


def _to_table(t: _Logical) -> Table:
    cells = [
        Cell(row=c.row, col=c.col, text=c.text, row_span=c.row_span, col_span=c.col_span, locator=c.locator)
        for c in sorted(t.cells, key=lambda c: (c.row, c.col))
    ]
    return Table(cells=cells, locator="; ".join(f"p{p.page} t{p.index}" for p in t.pieces))


# ---------------------------------------------------------------------------- narrative


def _margins(pages: list[_Page]) -> tuple[float, float]:
    """The body text's left and right margins: the most common edges of long lines."""
    long = [ln for p in pages for ln in p.lines if len(ln.text) >= 15 and not ln.running]
    if not long:
        long = [ln for p in pages for ln in p.lines if not ln.running]
    if not long:
        return 0.0, 0.0
    left = Counter(round(ln.x0) for ln in long).most_common(1)[0][0]
    right = Counter(round(ln.x1) for ln in long).most_common(1)[0][0]
    return float(left), float(right)


def _narrative(pages: list[_Page]) -> str:
    """Lines outside tables in reading order, wrapped lines of a paragraph joined into one line."""
    left, right = _margins(pages)
    paragraphs: list[str] = []
    prev: _Line | None = None
    running: dict[str, str] = {}  # running headers/footers leave the flow; each is kept once, first
    for page in pages:
        for ln in page.lines:
            if ln.running:
                running.setdefault(_running_key(ln.text), ln.text)
        items: list[tuple[float, _Line | None]] = [(ln.top, ln) for ln in page.lines if not ln.running]
        items += [(p.bbox[1], None) for p in page.pieces]
        for _, line in sorted(items, key=lambda it: (it[0], it[1] is not None)):
            if line is None:  # a table interrupts the text flow
                prev = None
                continue
            size = line.size or 10.0
            continues = (
                prev is not None
                and prev.x1 >= right - 1.5 * size
                and line.x0 <= left + 0.75 * size
                and not _HEADING_RE.match(line.text)
            )
            if continues and paragraphs:
                paragraphs[-1] = join_wrapped([paragraphs[-1], line.text])
            else:
                paragraphs.append(line.text)
            prev = line
    return "\n".join([*running.values(), *paragraphs])


def _title(pages: list[_Page], meta: dict[str, str]) -> str | None:
    """The first lines of page 1 set in the largest font, else the PDF's Title metadata."""
    if pages and pages[0].lines:
        lines = pages[0].lines
        body = Counter(round(ln.size) for ln in lines).most_common(1)[0][0]
        head = []
        for ln in lines[:6]:
            if body > 0 and ln.size >= body * 1.15:
                head.append(ln)
            elif head:
                break
        if head:
            return join_wrapped([ln.text for ln in head])
    title = meta.get("Title", "").strip()
    if title:
        return title
    first = pages[0].lines[0].text if pages and pages[0].lines else ""
    return first if "报告" in first else None
