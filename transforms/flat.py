"""Flattened text: an HTML table that lost all its separators (reference §8, layout ``text_flat``).

Each table row reads as one line, a label immediately followed by a run of digits and signs:
``行政处罚2648-18538``, ``一、本年新收政府信息公开申请数量640020470``; table 4's data row is a bare
run of 15 values. Rows become [label cell, run cell] with the run kept raw; splitting the run into
values is the work of transforms/segment.py, which needs the identities to do it.
"""

from __future__ import annotations

import re

from common.document import Cell, Document, Table
from common.errors import ExtractionError
from common.text import compact
from common.values import RUN_MARKS, RUN_UNITS
from transforms.segment import is_rl_label, match_row_label

MAX_CHARS = 5_000_000
MIN_FLAT_ROWS = 10
MAX_LABEL = 80
MIN_RL_DIGITS = 15
_D = "0-9０-９"
# a trailing run: starts with a digit or a sign, then digits, signs, decimal points, placeholders,
# units and (增)/(减) marks, up to the end of the line; or placeholders only (规章---)
_RUN = re.compile(
    rf"(?P<run>[+\-＋－]*[{_D}](?:[{_D}+\-＋－.．,，/／—]|{RUN_MARKS}|{RUN_UNITS})*"
    r"|[\-－—/／]+)\s*$"
)
_SECTIONS = {"proactive": "s2", "applications": "s3", "reviews_litigation": "s4"}


def split_flat_line(line: str) -> tuple[str, str] | None:
    """(label, run) when the line ends with a run of values written together, else None."""
    stripped = line.strip()
    if not stripped or "\t" in line or "|" in stripped or len(stripped) > MAX_LABEL + 70:
        return None
    match = _RUN.search(stripped)
    if not match:
        return None
    label, run = stripped[: match.start()].strip(), match.group("run")
    if len(label) > MAX_LABEL or label.endswith(("第", "年", "月")):
        return None
    return label, run


def classify_flat_line(line: str) -> tuple[str, str, str] | None:
    """(table_code, label, run) for a flattened table row; None for narrative and header lines."""
    parts = split_flat_line(line)
    if parts is None:
        return None
    label, run = parts
    hit = match_row_label(label) if label else None
    if hit:
        return hit[0], label, run
    digits = compact(run)
    if is_rl_label(label) and digits.isdigit() and len(digits) >= MIN_RL_DIGITS:
        return "reviews_litigation", label, run
    return None


def looks_flat(text: str) -> bool:
    """True when at least MIN_FLAT_ROWS lines are a known row label glued to a run of values."""
    count = 0
    for line in text[:MAX_CHARS].splitlines():
        if classify_flat_line(line):
            count += 1
            if count >= MIN_FLAT_ROWS:
                return True
    return False


def extract_flat(text: str) -> Document:
    """Tables of [label, raw run] rows, one per table in reading order, and the narrative lines."""
    if len(text) > MAX_CHARS:
        raise ExtractionError("too_large", f"{len(text)} characters exceeds the {MAX_CHARS}-character cap")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    tables: list[Table] = []
    narrative: list[str] = []
    current: Table | None = None
    current_code: str | None = None
    for line_no, line in enumerate(text.split("\n"), start=1):
        found = classify_flat_line(line)
        if found is None:
            narrative.append(line)
            continue
        code, label, run = found
        if current is None or code != current_code:
            current = Table(locator=f"line {line_no}", section_code=_SECTIONS[code], runs=True)
            current_code = code
            tables.append(current)
        row = current.n_rows
        current.cells.append(Cell(row, 0, label, locator=f"line {line_no}"))
        current.cells.append(Cell(row, 1, run, locator=f"line {line_no}"))
    return Document(layout="text_flat", text="\n".join(narrative), tables=tables)
