"""Text layouts copied from report tables (reference §8).

- ``text_tab``: each cell starts with a tab, rows are separated by blank lines, a cell's wrapped
  text continues on following lines without the tab (seeds 000, 002, 003, 004);
- ``text_pipe``: ``label | v | v | … |`` rows, empty cells for spans (seed 001), and Markdown
  pipe tables (``| a | b |`` with ``|---|`` separator rows) as written by PDF converters;
- ``text_space``: columns aligned with spaces, as ``pdftotext -layout`` and copies of Word or PDF
  tables write them (``行政处罚    814    -164    158268``): a row's values are the run of value
  tokens that ends the line, its label cells the text before them split at runs of 2+ spaces.

Both produce ragged tables (one origin cell per slot, spans of 1); the template mapper reads
rows by their labels, so covered slots written as empty cells do no harm.
"""

from __future__ import annotations

import html
import re

from common.document import Cell, Document, Table, join_wrapped
from common.sections import heading_section
from common.values import is_value_like, is_value_slot, parse_value

_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def is_pipe_row(line: str) -> bool:
    return line.count("|") >= 2 and not line.lstrip().startswith("\t")


def split_pipe_row(line: str) -> list[str]:
    """Cells of one pipe row; the closing pipe ends the row, it does not open an empty cell. Markdown
    converters write HTML entities into cells (``&nbsp;`` for an empty cell): they are decoded."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return [(html.unescape(part) if "&" in part else part).strip() for part in body.split("|")]


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
                table.cells.append(Cell(row_index, col, join_wrapped(frags), locator=f"line {line_no}"))
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
    current = join_wrapped(fragments)
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
        return [join_wrapped(labels), *cells], [0]
    if len(labels) > lead:  # more lines than empty cells: the first ones share a cell
        labels = [join_wrapped(labels[: len(labels) - lead + 1]), *labels[len(labels) - lead + 1:]]
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


_WIDE_GAP = re.compile(r"[ \t\u3000]{2,}|\t")
_SPACES = re.compile(r"[ \t\u3000]+")
_ITEM_NUMBER = re.compile(r"^[0-9０-９]{1,2}[.．、]$")
_PROSE = re.compile(r"[。；]")  # a sentence that mentions numbers, not a row label (labels do have "，")
# a single space before a numbered label also separates cells: "三、本年度办理结果 （一）予以公开"
_NUMBERED_START = re.compile(r"[ \u3000]+(?=[（(][一二三四五六七八九十]+[)）]|[0-9０-９]{1,2}[.．、](?![0-9０-９])|[一二三四五六七八九十]+、)")
MIN_SPACE_ROWS = 10  # lines ending in a run of values that make a text a ``text_space`` table text
MAX_SHORT_LINE = 30  # a line without values this short may be a label row inside a table
MAX_HEADER_WORD = 12  # words of a single-spaced header line are column labels, not prose
_SENTENCE = re.compile(r"[。，；,;]")


def split_space_row(line: str) -> tuple[list[str], list[str]] | None:
    """(label cells, value cells) of a line that ends in values, else None.

    The values are the longest run of whitespace-separated value tokens (numbers, signed changes,
    amounts with units, placeholders) that ends the line; a row needs a label and one value, or
    two values. The label text is split into cells at runs of 2+ spaces (``（四）无法提供    1. 本机关
    不掌握相关政府信息``), so single spaces inside a label (``商 业 企 业``) stay.
    """
    body = line.strip()
    if not body:
        return None
    tokens = list(_SPACES.finditer(body))
    starts = [0] + [m.end() for m in tokens]
    pieces = [body[a: (tokens[i].start() if i < len(tokens) else len(body))] for i, a in enumerate(starts)]
    n_values = 0
    for piece in reversed(pieces):
        if not is_value_slot(piece) or _ITEM_NUMBER.match(piece):  # "1." numbers a label, it is no value
            break
        n_values += 1
    if n_values == 0:
        return None
    label_text = body[: starts[len(pieces) - n_values]].strip()
    if (not label_text and n_values < 2) or _PROSE.search(label_text):
        return None
    labels = [part.strip() for gap_part in _WIDE_GAP.split(label_text) for part in _NUMBERED_START.split(gap_part)
              if part.strip()] if label_text else []
    return labels, pieces[len(pieces) - n_values:]


def header_cells(line: str) -> list[str] | None:
    """Cells of a header line: split at runs of 2+ spaces, or at single spaces when the line is three
    or more short words (``结果维持 结果纠正 其他结果 尚未审结 总计``), never a sentence."""
    parts = [p.strip() for p in _WIDE_GAP.split(line.strip()) if p.strip()]
    if len(parts) >= 2:
        return parts
    words = line.split()
    if len(words) >= 3 and all(len(w) <= MAX_HEADER_WORD for w in words) and not _SENTENCE.search(line):
        return words
    return None


def _space_kind(line: str) -> str:
    if not line.strip():
        return "blank"
    if split_space_row(line):
        return "row"
    if header_cells(line):
        return "multi"
    stripped = line.strip()
    return "short" if len(stripped) <= MAX_SHORT_LINE and not stripped.endswith(("。", "；", "：", ":")) else "text"


_SEGMENT = re.compile(r"\S(?:\S| (?! ))*")  # text between runs of 2+ spaces
COLUMN_SLACK = 1  # characters: a wrapped fragment starts this close to its cell's column


def _label_columns(line: str) -> list[int]:
    """Character columns where the label cells of a row line start."""
    parsed = split_space_row(line)
    columns, pos = [], 0
    for label in parsed[0] if parsed else []:
        at = line.find(label, pos)
        if at < 0:
            return []
        columns.append(at)
        pos = at + len(label)
    return columns


_ITEM_START = re.compile(r"^(?:第[一二三四五六七八九十百零0-9]+[条章节部]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]"
                         r"|[0-9０-９]{1,2}[.．、](?![0-9０-９]))")


def _fragment_cells(line: str, columns: list[int]) -> dict[int, str] | None:
    """{label cell index: text} when every text segment of a line without values starts at a label
    cell's column (a wrapped label continued on the next line), else None. A segment that starts
    a numbered item or article (``四、``, ``（二）``, ``第二十条``) begins a label, it continues none."""
    if not columns:
        return None
    out: dict[int, str] = {}
    for m in _SEGMENT.finditer(line):
        cell = next((i for i, c in enumerate(columns) if abs(m.start() - c) <= COLUMN_SLACK), None)
        if cell is None or cell in out or is_value_like(m.group()) or _ITEM_START.match(m.group()):
            return None
        out[cell] = m.group()
    return out or None


def _wrapped_fragments(lines: list[str], kinds: list[str]) -> dict[int, tuple[int, dict[int, str]]]:
    """Lines that continue the label cells of a neighbouring row: {line: (row line, {cell: text})}.

    A line without values whose segments start at the character columns of the previous row's
    label cells continues them (``pdftotext -layout`` of a borderless table whose labels wrap in
    their cells); failing that, the next row's (a label vertically centred around its values).
    """
    out: dict[int, tuple[int, dict[int, str]]] = {}
    rows = [k for k, kind in enumerate(kinds) if kind == "row"]
    columns = {k: _label_columns(lines[k]) for k in rows}
    for i, kind in enumerate(kinds):
        if kind not in ("short", "multi"):
            continue
        before = next((k for k in reversed(rows) if k < i), None)
        after = next((k for k in rows if k > i), None)
        for anchor in (before, after):
            if anchor is None or any(kinds[k] in ("text", "multi") and k not in out
                                     for k in range(min(anchor, i) + 1, max(anchor, i))):
                continue
            cells = _fragment_cells(lines[i], columns[anchor])
            if cells:
                out[i] = (anchor, cells)
                break
    return out


def _space_tables(lines: list[str], wrapped: bool = False) -> tuple[list[Table], list[str]]:
    """Runs of row and header lines (blank and short label lines allowed inside) with two rows or more.

    With ``wrapped`` (``pdf_space``), label fragments wrapped onto lines of their own are joined to
    their row's label cells (``_wrapped_fragments``).
    """
    kinds = [_space_kind(line) for line in lines]
    fragments = _wrapped_fragments(lines, kinds) if wrapped else {}
    for i in fragments:
        kinds[i] = "fragment"
    tables: list[Table] = []
    narrative: list[str] = []
    i = 0
    while i < len(lines):
        if kinds[i] not in ("row", "multi"):
            narrative.append(lines[i])
            i += 1
            continue
        end = i  # last row/multi line of the run
        j = i
        while j < len(lines) and kinds[j] != "text":
            if kinds[j] in ("row", "multi"):
                end = j
            j += 1
        run = range(i, end + 1)
        if not _is_space_table(lines, kinds, run):
            narrative.extend(lines[k] for k in run)
        else:
            table = Table(locator=f"line {i + 1}")
            for row_index, k in enumerate(k for k in run if kinds[k] not in ("blank", "fragment")):
                parsed = split_space_row(lines[k])
                if parsed and wrapped:
                    parsed = (_joined_labels(k, parsed[0], fragments), _placed_values(lines, kinds, k, parsed[1]))
                elif parsed:  # aligned text: a gap between two values is a blank cell; a short end stays short
                    placed = _placed_values(lines, kinds, k, parsed[1])
                    parsed = (parsed[0], placed if placed[-1:] != [""] else parsed[1])
                cells = parsed[0] + parsed[1] if parsed else header_cells(lines[k]) or [lines[k].strip()]
                for col, text in enumerate(cells):
                    table.cells.append(Cell(row_index, col, text, locator=f"line {k + 1} c{col}"))
            tables.append(table)
        i = end + 1
    return tables, narrative


MIN_WIDE_ROW = 10  # values of a lone row under header lines that make it a table (table 4 has one data row)


def _is_space_table(lines: list[str], kinds: list[str], run: range) -> bool:
    """Two rows or more; or header lines over one row of MIN_WIDE_ROW values or more."""
    rows = [k for k in run if kinds[k] == "row"]
    if len(rows) >= 2:
        return True
    return (len(rows) == 1 and any(kinds[k] == "multi" for k in run)
            and len(split_space_row(lines[rows[0]])[1]) >= MIN_WIDE_ROW)


VALUE_SLACK = 2  # characters: a value starts this close to its column's start in a fuller row
_TOKEN = re.compile(r"\S+")


def _value_starts(line: str, n: int) -> list[int]:
    return [m.start() for m in _TOKEN.finditer(line)][-n:]


def _placed_values(lines: list[str], kinds: list[str], row: int, values: list[str]) -> list[str]:
    """A row's values with empty cells for the blank slots, placed by character column.

    The reference is the row with the most values in the same block (rows, label fragments and
    blank lines without a header or text line between them). When each value starts at one of its
    value columns, in order, the row gets the reference's number of cells, blanks where nothing
    sits (``（一）予以公开  0  0  0  0  0  0`` under a total column left blank); else it is unchanged.
    """
    block = ("row", "fragment", "blank")
    lo = hi = row
    while lo > 0 and kinds[lo - 1] in block:
        lo -= 1
    while hi + 1 < len(kinds) and kinds[hi + 1] in block:
        hi += 1
    counts = {k: len(split_space_row(lines[k])[1]) for k in range(lo, hi + 1) if kinds[k] == "row"}
    ref = max(counts, key=lambda k: counts[k])
    if counts[ref] <= len(values):
        return values
    columns = _value_starts(lines[ref], counts[ref])
    placed = [""] * len(columns)
    at = 0
    for start, value in zip(_value_starts(lines[row], len(values)), values, strict=True):
        while at < len(columns) and columns[at] < start - VALUE_SLACK:
            at += 1
        if at == len(columns) or abs(columns[at] - start) > VALUE_SLACK:
            return values
        placed[at] = value
        at += 1
    return placed


def _joined_labels(row: int, labels: list[str], fragments: dict[int, tuple[int, dict[int, str]]]) -> list[str]:
    """A row's label cells with the wrapped fragments of the lines around it, in line order."""
    parts = [[label] for label in labels]
    for line_no in sorted(fragments):
        anchor, cells = fragments[line_no]
        if anchor != row:
            continue
        for cell, text in cells.items():
            if line_no < row:
                parts[cell].insert(len(parts[cell]) - 1, text)
            else:
                parts[cell].append(text)
    return [join_wrapped(p) for p in parts]


def detect_text_layout(text: str) -> str | None:
    """``text_tab``, ``text_pipe`` or ``text_space`` by the share of table-like lines, else None."""
    lines = text.splitlines()
    tab = sum(1 for line in lines if line.startswith("\t"))
    pipe = sum(1 for line in lines if is_pipe_row(line))
    if tab >= 20 and tab >= pipe:
        return "text_tab"
    if pipe >= 10:
        return "text_pipe"
    if sum(1 for line in lines[:3000] if split_space_row(line)) >= MIN_SPACE_ROWS:
        return "text_space"
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
    elif layout in ("text_space", "pdf_space"):
        tables, narrative = _space_tables(lines, wrapped=layout == "pdf_space")
    else:
        tables, narrative = [], lines
    return Document(layout=layout, text="\n".join(narrative), tables=tables)
