"""Ruled PDF tables assembled across pages: a piece that starts a page right where the previous page's
last piece ended, with a compatible column structure, continues it.

Running headers/footers do not count as text between the two parts. Header rows the continuation
repeats are dropped, and a label fragment cut at the break (``法提供``) is glued back onto its cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.document import Cell, Table, join_wrapped
from common.values import is_value_text
from extractors.pdf_pages import Page, PCell, Piece, nearest_edge, snap_coordinates

NORM_TOLERANCE = 0.012  # share of table width: column edges of two pieces that are the same edge

_ENUMERATED_RE = re.compile(
    r"^(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、.．]|[\d０-９]+\s*[、.．]|第[一二三四五六七八九十\d]+)"
)
# ---------------------------------------------------------------------------- tables


@dataclass(slots=True)
class _Logical:
    """A table being assembled from one or more pieces."""

    pieces: list[Piece]
    cells: list[PCell]
    n_rows: int
    edges: list[float]


def assemble_tables(pages: list[Page]) -> list[Table]:
    """The pages' pieces as tables, a piece that continues the previous page's last one merged into it."""
    logical: list[_Logical] = []
    prev_page: Page | None = None
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


def _copy(c: PCell) -> PCell:
    return PCell(c.row, c.col, c.row_span, c.col_span, c.text, c.locator, c.nx0, c.nx1)


def _ends_page(page: Page, piece: Piece) -> bool:
    """No narrative line below the table on its page (page numbers are gone, running footers ignored)."""
    return not any(ln.top > piece.bbox[3] - 1 and not ln.running for ln in page.lines)


def _starts_page(page: Page, piece: Piece) -> bool:
    """No narrative line above the table on its page (running headers ignored)."""
    return not any(ln.bottom < piece.bbox[1] + 1 and not ln.running for ln in page.lines)


def _merge_into(target: _Logical, piece: Piece) -> bool:
    """Append a continuation piece if its columns line up with the target's; False otherwise."""
    prev = target.pieces[-1]
    w_prev, w_new = prev.bbox[2] - prev.bbox[0], piece.bbox[2] - piece.bbox[0]
    if abs(w_prev - w_new) > 0.1 * max(w_prev, w_new):
        return False
    union = snap_coordinates(target.edges + piece.edges, NORM_TOLERANCE)
    if len(union) not in (len(target.edges), len(piece.edges)):
        return False  # neither column structure contains the other
    new = [_copy(c) for c in piece.cells]
    for c in target.cells + new:
        c.col = nearest_edge(union, c.nx0)
        c.col_span = max(nearest_edge(union, c.nx1) - c.col, 1)
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


def _row_texts(cells: list[PCell], row: int) -> list[tuple[int, int, str]]:
    return sorted((c.col, c.col_span, c.text) for c in cells if c.row == row)


def _repeated_header_rows(old: list[PCell], new: list[PCell]) -> int:
    """Number of leading rows of the continuation that repeat the table's leading rows."""
    n = 0
    while _row_texts(new, n) and _row_texts(new, n) == _row_texts(old, n):
        n += 1
    return n


def _covering(cells: list[PCell], row: int, col: int) -> PCell | None:
    for c in cells:
        if c.row <= row < c.row + c.row_span and c.col <= col < c.col + c.col_span:
            return c
    return None


def _is_label(c: PCell | None) -> bool:
    return c is not None and bool(c.text) and not is_value_text(c.text)


def _glue_fragments(target: _Logical, new: list[PCell]) -> int:
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
    return Table(cells=cells, locator="; ".join(f"p{p.page} t{p.index}" for p in t.pieces), aligned=True)
