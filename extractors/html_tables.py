"""HTML tables as cell grids: the forming algorithm (spans, clamping), data tables told from layout
tables, and tables split at page breaks merged back into one.

* Forming follows the HTML "forming a table" algorithm (occupancy matrix, rows walked as
  table > thead/tbody/tfoot > tr, never rows of nested tables). Odd spans are clamped: unparsable -> 1,
  colspan 0 -> 1, rowspan 0 or past the row group -> end of the row group, colspans reaching past the
  width the other cells define are trimmed to it. A table whose spans cover more than
  ``MAX_GRID_SLOTS`` slots raises ``ExtractionError("too_complex")``.
* Rows with no text at all (Word's width-setting rows) are dropped.
* A table that contains another table, has a cell with more than ``PROSE_CELL_CHARS`` characters of
  text, or has a single column is a layout table, not a data table.
* Consecutive tables (no text between them) are merged into one when the later one's first row
  continues the earlier one's column structure; repeated header rows are dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from selectolax.lexbor import LexborNode

from common.document import Cell, Table
from common.errors import ExtractionError
from common.values import is_value_text
from extractors.html_text import cell_text, non_space_len, visible_len

MAX_COLSPAN = 1000  # as HTML does; rowspans end at their row group
MAX_GRID_SLOTS = 2_000_000  # rowspan x colspan slots per table before ExtractionError("too_complex")
SANE_COLSPAN = 64  # spans above this do not define the table width
PROSE_CELL_CHARS = 400  # a cell holding more text than this is page layout, not a report table cell

_SPAN_NUMBER = re.compile(r"\s*(\d+)")

@dataclass(slots=True)
class TableItem:
    """A data table among the text lines of a page, with the source tables it was made of."""

    table: Table
    numbers: list[int]  # source table numbers (1-based) that make this table


# ---------------------------------------------------------------- table forming


def _parse_span(value: str | None, default: int = 1) -> int:
    if value is None:
        return default
    m = _SPAN_NUMBER.match(value)
    return int(m.group(1)) if m else default


def _row_groups(table: LexborNode) -> list[list[LexborNode]]:
    """Rows of this table only, grouped by row group; tfoot groups go last (HTML order)."""
    groups: list[list[LexborNode]] = []
    feet: list[list[LexborNode]] = []
    loose: list[LexborNode] = []
    for child in table.iter():
        if child.tag == "tr":
            loose.append(child)
            continue
        if loose:
            groups.append(loose)
            loose = []
        if child.tag in ("thead", "tbody", "tfoot"):
            rows = [r for r in child.iter() if r.tag == "tr"]
            if rows:
                (feet if child.tag == "tfoot" else groups).append(rows)
    if loose:
        groups.append(loose)
    return groups + feet


def _row_cells(tr: LexborNode) -> list[LexborNode]:
    """The row's cells (hidden ones were removed from the tree before tables are read)."""
    return [c for c in tr.iter() if c.tag in ("td", "th")]


def form_table(table: LexborNode, number: int, warnings: list[str]) -> Table:
    """Build origin cells with the HTML forming algorithm; clamp odd spans."""
    cells: list[Cell] = []
    occupied: set[tuple[int, int]] = set()
    budget = MAX_GRID_SLOTS
    row = 0
    for group in _row_groups(table):
        group_end = row + len(group)
        for tr in group:
            col = 0
            for td in _row_cells(tr):
                while (row, col) in occupied:
                    col += 1
                col_span = min(max(_parse_span(td.attributes.get("colspan")), 1), MAX_COLSPAN)
                row_span = _parse_span(td.attributes.get("rowspan"))
                if row_span <= 0 or row + row_span > group_end:
                    if row_span > 0:
                        warnings.append(f"t{number} r{row + 1} c{col + 1}: rowspan {row_span} clamped")
                    row_span = group_end - row
                budget -= (row_span - 1) * col_span
                if budget < 0:
                    raise ExtractionError("too_complex", f"table {number} spans more than {MAX_GRID_SLOTS} slots")
                for r in range(row + 1, row + row_span):  # the current row needs no marks
                    for c in range(col, col + col_span):
                        occupied.add((r, c))
                cells.append(
                    Cell(row, col, cell_text(td), row_span, col_span, f"t{number} r{row + 1} c{col + 1}")
                )
                col += col_span
            row += 1
    _trim_wide_spans(cells, number, warnings)
    table_obj = Table(cells=cells, locator=f"table {number}")
    _drop_empty_rows(table_obj)
    return table_obj


def _trim_wide_spans(cells: list[Cell], number: int, warnings: list[str]) -> None:
    """Trim colspans that reach past the width every other cell defines."""
    width = max(
        [c.col + c.col_span for c in cells if c.col_span <= SANE_COLSPAN] + [c.col + 1 for c in cells],
        default=0,
    )
    for cell in cells:
        if cell.col + cell.col_span > width:
            warnings.append(f"{cell.locator}: colspan {cell.col_span} trimmed")
            cell.col_span = width - cell.col


def _drop_empty_rows(table: Table) -> None:
    """Remove rows without any text (covering cells included); shift rows and spans."""
    views = table.row_views()
    empty = [r for r, view in enumerate(views) if not any(c.text for c in view)]
    if not empty:
        return
    empty_set = set(empty)
    kept: list[Cell] = []
    for cell in table.cells:
        rows = [r for r in range(cell.row, cell.row + cell.row_span) if r not in empty_set]
        if not rows:
            continue
        cell.row_span = len(rows)
        cell.row = rows[0] - sum(1 for r in empty if r < rows[0])
        kept.append(cell)
    table.cells = kept


def table_kind(table: LexborNode) -> str:
    """'data' for a report-like grid; 'layout' for wrappers (nested tables, prose cells, one column)."""
    if any(t.mem_id != table.mem_id for t in table.css("table")):
        return "layout"
    rows = [_row_cells(tr) for group in _row_groups(table) for tr in group]
    # the cheap length (links included) bounds the visible one
    if any(non_space_len(c.text(deep=True) or "") > PROSE_CELL_CHARS and visible_len(c) > PROSE_CELL_CHARS
           for row in rows for c in row):
        return "layout"
    widths = [sum(min(max(_parse_span(c.attributes.get("colspan")), 1), 2) for c in row) for row in rows]
    if max(widths, default=0) <= 1:
        return "layout"
    return "data"


# ---------------------------------------------------------------- merging split tables


def _row_texts(table: Table, row: int) -> tuple[str, ...]:
    return tuple(c.text for c in table.rows()[row])


def _drop_repeated_header(prev: Table, nxt: Table) -> Table:
    """Drop leading rows of ``nxt`` that repeat the first rows of ``prev`` (Word repeats headers)."""
    k = 0
    while k < min(prev.n_rows, nxt.n_rows) - 1 and _row_texts(prev, k) == _row_texts(nxt, k):
        if any(is_value_text(t) for t in _row_texts(nxt, k)):
            break
        k += 1
    if k == 0:
        return nxt
    covering = [c for c in nxt.cells if c.row < k and c.row + c.row_span > k]
    if covering:
        return nxt
    cells = [replace(c, row=c.row - k) for c in nxt.cells if c.row >= k]
    return Table(cells=cells, locator=nxt.locator)


def _continuation_shift(prev: Table, nxt: Table) -> int | None:
    """Column shift at which ``nxt`` continues ``prev``, or None when it starts a new table."""
    if not prev.cells or not nxt.cells or nxt.n_cols > prev.n_cols:
        return None
    def shape(view: list[Cell]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return tuple(c.col for c in view), tuple(c.col + c.col_span for c in view)

    views = prev.row_views()  # once: the grid of a long merged table is not rebuilt per row
    first = shape(nxt.row_views()[0])
    if any(shape(view) == first for view in views):
        return 0
    shift = prev.n_cols - nxt.n_cols
    if shift == 0 or not any(is_value_text(c.text) for c in nxt.rows()[0]):
        return None
    pairs = [(b, e) for b, e in zip(*shape(views[-1]), strict=True) if b >= shift]
    shifted = [(b + shift, e + shift) for b, e in zip(first[0], first[1], strict=True)]
    return shift if pairs == shifted else None


def _merge(prev: Table, nxt: Table, shift: int) -> Table:
    """Append ``nxt`` under ``prev`` (shifted right), extending label cells that reach the cut."""
    base = prev.n_rows
    last_view = prev.row_views()[base - 1] if base else []
    extend = {id(c): c for c in last_view if c.row + c.row_span == base}
    added = nxt.n_rows
    consumed: set[int] = set()
    # Word splits a vertically merged label: an empty cell under it continues it.
    for cell in sorted(nxt.rows()[0], key=lambda c: c.col):
        if cell.text:
            break
        above = next((c for c in last_view if c.col == cell.col + shift), None)
        if (
            above is not None
            and id(above) in extend
            and above.row_span > 1
            and above.col_span == cell.col_span
            and above.text
            and not is_value_text(above.text)
        ):
            above.row_span += cell.row_span
            consumed.add(id(cell))
    if shift:
        for cell in last_view:
            if id(cell) in extend and cell.col + cell.col_span <= shift:
                cell.row_span += added
    cells = list(prev.cells)
    for cell in nxt.cells:
        if id(cell) in consumed:
            continue
        cell.row += base
        cell.col += shift
        cells.append(cell)
    return Table(cells=cells, locator=prev.locator)


def merge_items(items: list[str | TableItem]) -> list[str | TableItem]:
    """Merge consecutive tables that are parts of one logical table."""
    out: list[str | TableItem] = []
    for item in items:
        prev = out[-1] if out else None
        if isinstance(item, TableItem) and isinstance(prev, TableItem):
            nxt = _drop_repeated_header(prev.table, item.table)
            shift = _continuation_shift(prev.table, nxt) if nxt.cells else None
            if shift is not None:
                merged = _merge(prev.table, nxt, shift)
                numbers = prev.numbers + item.numbers
                merged.locator = "table " + "+".join(str(n) for n in numbers)
                out[-1] = TableItem(merged, numbers)
                continue
        out.append(item)
    return out


def table_lines(table: Table) -> list[str]:
    """The table as text lines, one ``| a | b | c |`` per row (origin cells only)."""
    lines = []
    for row in table.rows():
        if row:
            lines.append("| " + " | ".join(c.text for c in row) + " |")
    return lines
