"""The one intermediate every extractor produces: a Document with sections and cell grids.

A ``Table`` holds origin cells (row, col, spans, text, locator). ``Table.grid()`` expands
them into a rectangular matrix where every covered slot points back to its origin cell,
the way docling's TableData does it. Text layouts without span information produce one
origin cell per slot (spans of 1) in ragged rows; ``Table.rows()`` gives each row's
distinct origin cells in column order, which is what the template mapper reads.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(slots=True)
class Cell:
    """One origin cell of a table."""

    row: int
    col: int
    text: str
    row_span: int = 1
    col_span: int = 1
    locator: str = ""  # where the cell sits in the source: "line 123", "p2 r4 c5", "t1 r3 c2"
    confidence: float | None = None  # read by OCR: the engine's confidence (0..1); None: printed text
    alternatives: tuple[str, ...] = ()  # read by OCR: the engine's other readings of the cell


@dataclass(slots=True)
class Table:
    """A table as origin cells; ``grid()`` expands spans."""

    cells: list[Cell] = field(default_factory=list)
    locator: str = ""  # where the table sits in the source (e.g. "table 2", "page 3")
    section_code: str | None = None  # section the table was found in, if known
    runs: bool = False  # rows of [label, run of values written together] (flattened text), cut by the identities
    aligned: bool = False  # cells stand where the page drew them (PDF ruling lines): a gap is a lost cell, not
    # a shift (HTML and Word rows pack their cells to the left, so a short row there says nothing of where)

    @property
    def n_rows(self) -> int:
        return max((c.row + c.row_span for c in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return max((c.col + c.col_span for c in self.cells), default=0)

    def grid(self) -> list[list[Cell | None]]:
        """Rectangular matrix; covered slots hold the origin cell, empty slots None."""
        n_cols = self.n_cols
        matrix: list[list[Cell | None]] = [[None] * n_cols for _ in range(self.n_rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.row_span):
                for c in range(cell.col, cell.col + cell.col_span):
                    if matrix[r][c] is None:
                        matrix[r][c] = cell
        return matrix

    def rows(self) -> list[list[Cell]]:
        """Each row's origin cells in column order (cells starting in that row only)."""
        by_row: dict[int, list[Cell]] = {}
        for cell in self.cells:
            by_row.setdefault(cell.row, []).append(cell)
        return [sorted(by_row.get(r, []), key=lambda c: c.col) for r in range(self.n_rows)]

    def row_views(self) -> list[list[Cell]]:
        """Each grid row as distinct cells in column order, covered slots included once.

        A label cell spanning rows 3-10 appears in every one of those rows, so a row can be
        read with its full hierarchical label context.
        """
        if all(c.row_span == 1 and c.col_span == 1 for c in self.cells):  # no spans (text rows): no grid needed
            slots: list[dict[int, Cell]] = [{} for _ in range(self.n_rows)]
            for cell in self.cells:
                slots[cell.row].setdefault(cell.col, cell)  # the first cell of a slot holds it, as in grid()
            return [[row[col] for col in sorted(row)] for row in slots]
        views = []
        for grid_row in self.grid():
            seen: set[int] = set()
            row: list[Cell] = []
            for cell in grid_row:
                if cell is None or id(cell) in seen:
                    continue
                seen.add(id(cell))
                row.append(cell)
            views.append(row)
        return views

    def has_spans(self) -> bool:
        return any(c.row_span > 1 or c.col_span > 1 for c in self.cells)


@dataclass(slots=True)
class Section:
    """A numbered part of the report (一 … 六) with its narrative text."""

    section_code: str  # s1 … s6, or "preamble"
    heading: str
    text: str


@dataclass(slots=True)
class Document:
    """What an extractor returns for one file."""

    layout: str  # text_tab, text_pipe, html, pdf, docx, text_flat ...
    text: str  # the full narrative text (tables included as text where the layout has it)
    tables: list[Table] = field(default_factory=list)
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # e.g. html <meta> values, pdf info
    warnings: list[str] = field(default_factory=list)


def is_wide(ch: str) -> bool:
    """True for CJK ideographs, CJK/full-width punctuation and curly quotes (text joins them without a space)."""
    if ch in "“”‘’…—":
        return True
    return unicodedata.east_asian_width(ch) in ("W", "F")


def join_wrapped(parts: list[str]) -> str:
    """Join the pieces of one wrapped cell or line: whitespace runs inside a piece become one space, and
    pieces join without a space when either side is wide (``本年新`` + ``制作数量``, ``36462`` + ``万元``)."""
    out = ""
    for raw in parts:
        part = " ".join(raw.split())
        if not part:
            continue
        if out and not is_wide(out[-1]) and not is_wide(part[0]):
            out += " "
        out += part
    return out
