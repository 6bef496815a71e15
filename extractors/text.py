"""Text layouts copied from report tables (reference §8).

- ``text_tab``: each cell starts with a tab, rows are separated by blank lines, a cell's wrapped
  text continues on following lines without the tab (seeds 000, 002, 003, 004);
- ``text_pipe``: ``label | v | v | … |`` rows, empty cells for spans (seed 001), and Markdown
  pipe tables (``| a | b |`` with ``|---|`` separator rows) as written by PDF converters.

Both produce ragged tables (one origin cell per slot, spans of 1); the template mapper reads
rows by their labels, so covered slots written as empty cells do no harm.
"""

from __future__ import annotations

import re

from extractors.grid import Cell, Document, Table
from transforms.values import is_value_like

_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def join_fragments(parts: list[str]) -> str:
    """Join the lines of one wrapped cell: CJK fragments without a space, others with one."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and not (_CJK.search(out[-1]) or _CJK.search(part[0])):
            out += " "
        out += part
    return out


def is_pipe_row(line: str) -> bool:
    return line.count("|") >= 2 and not line.lstrip().startswith("\t")


def split_pipe_row(line: str) -> list[str]:
    """Cells of one pipe row; the closing pipe ends the row, it does not open an empty cell."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return [part.strip() for part in body.split("|")]


def _tab_tables(lines: list[str]) -> tuple[list[Table], list[str]]:
    tables: list[Table] = []
    narrative: list[str] = []
    table: Table | None = None
    row_cells: list[list] = []  # cells of the current row: [first_line_no, [fragments]]
    row_index = 0
    previous_blank = False

    def close_row():
        nonlocal row_cells, row_index
        if table is not None and row_cells:
            for col, (line_no, frags) in enumerate(row_cells):
                table.cells.append(Cell(row_index, col, join_fragments(frags), locator=f"line {line_no}"))
            row_index += 1
        row_cells = []

    def close_table():
        nonlocal table, row_index
        close_row()
        if table is not None and table.cells:
            tables.append(table)
        table, row_index = None, 0

    for line_no, line in enumerate(lines, start=1):
        if line.startswith("\t"):
            if table is None:
                table = Table(locator=f"line {line_no}")
            row_cells.append([line_no, [line[1:]]])
            previous_blank = False
        elif not line.strip():
            close_row()
            previous_blank = True
            narrative.append("")
        elif (
            table is not None and row_cells and not previous_blank and _continues_cell(row_cells[-1][1], line)
        ):
            row_cells[-1][1].append(line)
        else:
            close_table()
            previous_blank = False
            narrative.append(line)
    close_table()
    return tables, narrative


def _continues_cell(fragments: list[str], line: str) -> bool:
    """A line without the tab continues the previous cell unless that cell is a finished number."""
    current = join_fragments(fragments)
    if current and is_value_like(current) and not is_value_like(line):
        return False
    return len(line.strip()) <= 60


def _pipe_tables(lines: list[str]) -> tuple[list[Table], list[str]]:
    tables: list[Table] = []
    narrative: list[str] = []
    table: Table | None = None
    row_index = 0
    for line_no, line in enumerate(lines, start=1):
        if is_pipe_row(line):
            if _MD_SEPARATOR.match(line.strip()):
                continue
            if table is None:
                table, row_index = Table(locator=f"line {line_no}"), 0
            for col, text in enumerate(split_pipe_row(line)):
                table.cells.append(Cell(row_index, col, text, locator=f"line {line_no} c{col}"))
            row_index += 1
        else:
            if table is not None and table.cells:
                tables.append(table)
            table = None
            narrative.append(line)
    if table is not None and table.cells:
        tables.append(table)
    return tables, narrative


def detect_text_layout(text: str) -> str | None:
    """``text_tab`` or ``text_pipe`` by the share of table-like lines, else None."""
    lines = text.splitlines()
    tab = sum(1 for line in lines if line.startswith("\t"))
    pipe = sum(1 for line in lines if is_pipe_row(line))
    if tab >= 20 and tab >= pipe:
        return "text_tab"
    if pipe >= 10:
        return "text_pipe"
    return None


def extract_text(text: str, layout: str | None = None) -> Document:
    """Tables and narrative of a text report in one of the text layouts."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    layout = layout or detect_text_layout(text) or "text_plain"
    lines = text.split("\n")
    if layout == "text_tab":
        tables, narrative = _tab_tables(lines)
    elif layout == "text_pipe":
        tables, narrative = _pipe_tables(lines)
    else:
        tables, narrative = [], lines
    return Document(layout=layout, text="\n".join(narrative), tables=tables)
