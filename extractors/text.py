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
from transforms.sections import heading_section
from transforms.values import is_value_like, parse_value

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


MAX_LOOSE_LABEL = 40  # characters of a line that can be the label of the pipe row under it
MAX_LOOSE_LINES = 3


def _unlabelled(cells: list[str]) -> bool:
    """A pipe row of values only (its label cells empty): a PDF converter lost the label."""
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(is_value_like(c) for c in filled) and any(
        parse_value(c).status == "reported" for c in filled)


def _loose_label(line: str) -> bool:
    """A short line that can label the next row: not a sentence, not a section heading, not a value."""
    text = line.strip()
    return (0 < len(text) <= MAX_LOOSE_LABEL and "。" not in text and not is_value_like(text)
            and heading_section(text) is None)


def _labelled(cells: list[str], labels: list[str]) -> tuple[list[str], list[int]]:
    """Loose label lines put into the empty cells before the first value (or in front of the row).

    Returns the new cells and the columns that hold a label.
    """
    lead = next(i for i, c in enumerate(cells) if c.strip())
    if lead == 0:
        return [join_fragments(labels), *cells], [0]
    if len(labels) > lead:  # more lines than empty cells: the first ones share a cell
        labels = [join_fragments(labels[: len(labels) - lead + 1]), *labels[len(labels) - lead + 1:]]
    start = lead - len(labels)
    return cells[:start] + labels + cells[lead:], list(range(start, lead))


def _pipe_tables(lines: list[str]) -> tuple[list[Table], list[str]]:
    """Pipe rows as tables; text lines end a table, except short lines that label an unlabelled row.

    PDF converters (reference §8) sometimes write a row's label as a loose line and the row as
    ``|  | 181 | -74 | 92 |``: up to MAX_LOOSE_LINES short lines between two rows of a table become
    the label cells of the next row when that row has none (their locator is the label's line).
    """
    tables: list[Table] = []
    narrative: list[str] = []
    table: Table | None = None
    row_index = 0
    pending: list[tuple[int, str]] = []  # lines after a row of the open table: short lines and blanks

    def close() -> None:
        nonlocal table
        if table is not None and table.cells:
            tables.append(table)
        table = None
        narrative.extend(text for _, text in pending)
        pending.clear()

    for line_no, line in enumerate(lines, start=1):
        if is_pipe_row(line):
            if _MD_SEPARATOR.match(line.strip()):
                continue
            cells = split_pipe_row(line)
            labels = [(n, text.strip()) for n, text in pending if text.strip()]
            label_cols: list[int] = []
            if labels and _unlabelled(cells):
                cells, label_cols = _labelled(cells, [text for _, text in labels])
                pending.clear()
            elif pending:
                close()
            if table is None:
                table, row_index = Table(locator=f"line {line_no}"), 0
            for col, text in enumerate(cells):
                locator = f"line {labels[0][0]}" if col in label_cols else f"line {line_no} c{col}"
                table.cells.append(Cell(row_index, col, text, locator=locator))
            row_index += 1
        elif table is not None and not line.strip():
            pending.append((line_no, line))
        elif table is not None and _loose_label(line) and sum(1 for _, t in pending if t.strip()) < MAX_LOOSE_LINES:
            pending.append((line_no, line))
        else:
            close()
            narrative.append(line)
    close()
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
