"""Where a table's header puts each column, and the reading of a row by where its cells stand.

In a grid whose cells stand where the page drew them (PDF ruling lines: ``Table.aligned``), the header cells
that name a column (自然人, 商业企业 … 总计) give each column's grid range. A value cell then belongs
to the column whose range it stands in, whatever the cells before it: a row that lost a cell in
the middle, or holds an extra one, is read by position rather than shifted. This is one more
reading of the row (transforms/readings.py); the identities choose between it and the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common.document import Cell
from transforms.labels import normalize_label
from transforms.readings import ABSENT, Piece, Reading


@dataclass
class ColumnMap:
    """Grid column ranges [start, end) of the header cells naming each column code."""

    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)

    def note_header(self, cells: list[Cell], labels: dict[str, tuple[str, ...]]) -> None:
        """Record the header cells whose label is exactly a column's label (after normalisation)."""
        for cell in cells:
            norm = normalize_label(cell.text)
            for code, variants in labels.items():
                if norm in variants:
                    self.ranges[code] = (cell.col, cell.col + cell.col_span)

    def complete(self, codes: tuple[str, ...]) -> bool:
        """Every code placed, in order, without overlaps."""
        if any(code not in self.ranges for code in codes):
            return False
        spans = [self.ranges[code] for code in codes]
        return all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))

    def reading(self, values: list[Cell], codes: tuple[str, ...]) -> Reading | None:
        """The row read by position: each value cell in the column whose range it stands in; None when a
        printed cell stands in no column or across two (its place is not told by position)."""
        pieces = [ABSENT] * len(codes)
        for cell in values:
            hit = [i for i, code in enumerate(codes)
                   if cell.col < self.ranges[code][1] and cell.col + cell.col_span > self.ranges[code][0]]
            if not cell.text.strip():
                if len(hit) == 1 and pieces[hit[0]] is ABSENT:
                    pieces[hit[0]] = Piece(cell.text, cell.locator)
                continue
            if len(hit) != 1 or pieces[hit[0]] is not ABSENT and pieces[hit[0]].text.strip():
                return None
            pieces[hit[0]] = Piece(cell.text, cell.locator)
        return Reading(tuple(pieces), "positioned")
