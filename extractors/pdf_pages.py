"""One PDF page read: its text lines outside tables and its ruled tables as pieces; running headers
and footers marked across pages.

Tables come from ruling lines (pdfplumber's ``lines`` strategy). Each found table becomes a
*piece*: its cell bounding boxes are snapped to the table's distinct x / y edges, which gives
origin cells with row and column spans. One-column "tables" (prose lines sitting on filled
rectangles) are not pieces: their text stays in the page's lines. Page-number lines are dropped;
a running header/footer (a line whose text, digits aside, recurs at the same height in the top or
bottom band of two or more pages) is kept but marked ``running``. A page whose text layer is
unmapped is read from pypdfium2's text page instead of pdfplumber's characters.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from common.document import join_wrapped

MAX_GRAPHICS = 20000  # drawing objects on one page beyond which tables are not searched
SNAP_TOLERANCE = 2.0  # points: cell edges closer than this are the same grid line

_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)
_BARE_NUMBER_RE = re.compile(r"^\d{1,4}$")


def is_page_number(text: str) -> bool:
    """True for page-number lines such as ``- 4 -``, ``第4页``, ``4/6``."""
    return bool(_PAGE_NUMBER_RE.match(" ".join(text.split())))


# ---------------------------------------------------------------------------- data holders


@dataclass(slots=True)
class Line:
    """A text line of a page outside its tables, top-down coordinates in points."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    running: bool = False  # a running header/footer: the same text at the same height on several pages


@dataclass(slots=True)
class PCell:
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
class Piece:
    """One ruled table as found on one page."""

    page: int  # 1-based
    index: int  # 1-based among the page's kept tables
    bbox: tuple[float, float, float, float]
    cells: list[PCell]
    n_rows: int
    n_cols: int
    edges: list[float]  # normalised column edges, 0.0 … 1.0


@dataclass(slots=True)
class Page:
    """A page read: its text lines outside tables and its table pieces."""

    number: int
    height: float
    lines: list[Line]
    pieces: list[Piece] = field(default_factory=list)


# ---------------------------------------------------------------------------- one page


def read_page(page: Any, textpage: Any | None, warnings: list[str]) -> Page:
    """Find the page's tables (kept ones only) and its text lines outside them."""
    graphics = sum(len(page.objects.get(kind, [])) for kind in ("line", "rect", "curve"))
    if graphics > MAX_GRAPHICS:
        warnings.append(f"tables_skipped: p{page.page_number}: {graphics} drawing objects, over the cap")
        found = []
    else:
        found = page.find_tables()
    pieces: list[Piece] = []
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
    return Page(number=page.page_number, height=page.height, lines=lines, pieces=pieces)


def _is_margin_number(line: Line, height: float) -> bool:
    if is_page_number(line.text):
        return True
    in_margin = line.top > height * 0.9 or line.bottom < height * 0.1
    return in_margin and bool(_BARE_NUMBER_RE.match(line.text.strip()))


RUNNING_BAND = 0.15  # share of the page height at the top and bottom where running headers/footers sit
RUNNING_TOLERANCE = 3.0  # points: the same running line on two pages sits this close vertically


def running_key(text: str) -> str:
    """A line's text with spaces dropped and digits blanked (``第3页`` and ``第4页`` compare equal)."""
    return re.sub(r"[\d０-９]+", "#", "".join(text.split()))


def mark_running_lines(pages: list[Page]) -> None:
    """Mark running headers/footers: lines in the top or bottom band of the page whose text (digits
    blanked) recurs at the same height on at least two pages. They are not part of the content flow."""
    seen: dict[str, list[tuple[int, float]]] = {}
    for page in pages:
        for ln in page.lines:
            if ln.bottom < page.height * RUNNING_BAND or ln.top > page.height * (1 - RUNNING_BAND):
                seen.setdefault(running_key(ln.text), []).append((page.number, ln.top))
    for page in pages:
        for ln in page.lines:
            hits = seen.get(running_key(ln.text), [])
            pages_at = {n for n, top in hits if abs(top - ln.top) <= RUNNING_TOLERANCE}
            ln.running = len(pages_at) >= 2 and page.number in pages_at


def _inside(x: float, y: float, boxes: list[tuple[float, float, float, float]]) -> bool:
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def _plumber_lines(page: Any, boxes: list[tuple[float, float, float, float]]) -> list[Line]:
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
        out.append(Line(text, ln["x0"], ln["x1"], ln["top"], ln["bottom"], size))
    return out


def _pdfium_lines(
    textpage: Any, height: float, boxes: list[tuple[float, float, float, float]]
) -> list[Line]:
    """Text lines from pypdfium2's character boxes (PDF coordinates flipped to top-down)."""
    n = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) != n:  # surrogate pairs: fall back to one call per character
        text = "".join(textpage.get_text_range(i, 1) or " " for i in range(n))
    lines: list[Line] = []
    buf: list[tuple[str, tuple[float, float, float, float] | None]] = []

    def flush() -> None:
        kept = [(ch, box) for ch, box in buf if box is not None or ch == " "]
        boxes_ = [b for _, b in kept if b is not None]
        s = " ".join("".join(ch for ch, _ in kept).split())
        if s and boxes_:
            lines.append(
                Line(
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


def snap_coordinates(values: list[float], tolerance: float) -> list[float]:
    """Cluster close coordinates; return the sorted cluster centres."""
    centres: list[list[float]] = []
    for v in sorted(values):
        if centres and v - centres[-1][-1] <= tolerance:
            centres[-1].append(v)
        else:
            centres.append([v])
    return [sum(c) / len(c) for c in centres]


def nearest_edge(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def _piece(page: Any, table: Any, textpage: Any | None, index: int) -> Piece | None:
    """Snap a pdfplumber table's cell boxes to a grid; None for one-column or empty 'tables'."""
    texts = table.extract()
    boxes: list[tuple[tuple[float, float, float, float], str | None]] = []
    for row, row_texts in zip(table.rows, texts, strict=False):
        for bbox, text in zip(row.cells, row_texts, strict=False):
            if bbox is not None:
                boxes.append((bbox, text))
    if not boxes:
        return None
    xs = snap_coordinates([b[0] for b, _ in boxes] + [b[2] for b, _ in boxes], SNAP_TOLERANCE)
    ys = snap_coordinates([b[1] for b, _ in boxes] + [b[3] for b, _ in boxes], SNAP_TOLERANCE)
    n_cols, n_rows = len(xs) - 1, len(ys) - 1
    if n_cols < 2 or n_rows < 1:
        return None
    x0, x1 = xs[0], xs[-1]
    width = max(x1 - x0, 1.0)
    cells: list[PCell] = []
    for bbox, text in boxes:
        c0, c1 = nearest_edge(xs, bbox[0]), nearest_edge(xs, bbox[2])
        r0, r1 = nearest_edge(ys, bbox[1]), nearest_edge(ys, bbox[3])
        if c1 <= c0 or r1 <= r0:
            continue
        if textpage is not None:
            text = textpage.get_text_bounded(
                left=bbox[0], bottom=page.height - bbox[3], right=bbox[2], top=page.height - bbox[1]
            )
        lines = [ln for ln in (text or "").replace("\r", "\n").split("\n") if not is_page_number(ln)]
        cells.append(
            PCell(
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
    return Piece(
        page=page.page_number,
        index=index,
        bbox=(x0, ys[0], x1, ys[-1]),
        cells=cells,
        n_rows=n_rows,
        n_cols=n_cols,
        edges=[(x - x0) / width for x in xs],
    )
