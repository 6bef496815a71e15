"""The readings a row leaves open: which printed string goes to which cell of the template.

A row arrives as its label and its printed values: cells (a grid, tab or pipe row) or runs of
characters written together (flattened tables, page-text dumps). A reading assigns printed
strings to the row's targets, the (row, column) cells the template expects, in printed order:

- ``as printed``: as many cells as targets, one each (the only reading of a well-formed row);
- ``placed``: a row with fewer cells than targets: which targets the printed cells belong to;
  a row with more value cells than targets: which cells are extra;
- ``split``: a run cut into one piece per target, each piece obeying the value grammar of its
  column (common/values.py RUN_PIECES), never across a space the run keeps.

The identities choose between readings (transforms/solve.py). A reading never changes a printed
string: it only says which cell it belongs to.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from common.document import Cell
from common.text import compact
from common.values import is_value_like, parse_value

Key = tuple[str, str]  # (row_code, col_code)
MAX_READINGS = 5000  # readings kept per row; past it the row is ambiguous
MAX_RUN = 48  # characters of one run that are cut at all (15 values of 3 digits); a longer run stays missing


class Piece(NamedTuple):
    """A printed string as one reading assigns it to a cell; ``text`` None: no printed string (absent).
    (A named tuple: a row makes one per cell, and a tuple is the cheapest immutable record to make.)"""

    text: str | None
    locator: str | None = None


ABSENT = Piece(None)


@dataclass(frozen=True, slots=True)
class Reading:
    pieces: tuple[Piece, ...]  # one per target of the row
    kind: str  # as_printed | placed | positioned (by the header's columns, transforms/columns.py) | split
    cost: int = 0  # how far it departs from the printed order (cells skipped or dropped)


@dataclass
class RowInput:
    """One printed row of a table and the readings it leaves open."""

    table: str
    targets: tuple[Key, ...]
    readings: list[Reading]
    label: str
    locator: str
    raw: str  # the printed values as one string (for notes)
    problem: str | None = None  # what the reader saw: short row, extra cells, a run too long to cut
    money: frozenset[int] = field(default_factory=frozenset)  # target positions holding money
    unit_hints: tuple[str | None, ...] = ()
    used: tuple[str, ...] = ()  # identities that already shaped the readings (a run cut by its row's total)
    is_run: bool = False  # a run of values written together (cut into pieces), not printed cells


def number(piece: Piece) -> Decimal | None:
    """The number a piece reads as, or None (absent, blank, placeholder, text)."""
    if piece.text is None:
        return None
    parsed = parse_value(piece.text)
    return parsed.decimal if parsed.status == "reported" else None


# --- cells --------------------------------------------------------------------------------------------
def cell_readings(cells: Sequence[Cell], n: int) -> tuple[list[Reading], str | None]:
    """Readings of a row of printed cells for ``n`` targets, and the problem the row shows (or None).

    Span padding and trailing note cells (text after the values) beyond ``n`` are dropped first.
    """
    cells = list(cells)
    while len(cells) > n and (not cells[-1].text.strip() or not is_value_like(cells[-1].text)):
        cells.pop()
    pieces = [Piece(c.text, c.locator) for c in cells]
    if len(pieces) == n:
        return [Reading(tuple(pieces), "as_printed")], None
    if len(pieces) < n:
        problem = f"short row: {len(pieces)} values for {n} columns"
        if not pieces:
            return [], problem
        out = []
        for slots in itertools.combinations(range(n), len(pieces)):
            row = [ABSENT] * n
            for slot, piece in zip(slots, pieces, strict=True):
                row[slot] = piece
            out.append(Reading(tuple(row), "placed", n - len(pieces)))
            if len(out) > MAX_READINGS:
                break
        return out, problem
    problem = f"extra cells: {len(pieces)} values for {n} columns"
    out = []
    for kept in itertools.combinations(range(len(pieces)), n):
        out.append(Reading(tuple(pieces[i] for i in kept), "placed", len(pieces) - n))
        if len(out) > MAX_READINGS:
            break
    return out, problem


# --- runs ---------------------------------------------------------------------------------------------
def run_tokens(run: str) -> list[str]:
    """A run in the value grammar's form (NFKC, simplified) cut at the spaces it keeps: values never cross them."""
    return [compact(token) for token in run.split() if compact(token)]


@dataclass(frozen=True)
class SumRule:
    """A row-local identity ``target[total] = sum(target[parts])`` with the total after its parts:
    when the cutter reaches the total, its value is known, so only that piece is tried."""

    total: int
    parts: tuple[int, ...]


def split_readings(run: str, patterns: Sequence, rules: Sequence[SumRule] = (), limit: int = MAX_READINGS,
                   locator: str | None = None) -> list[Reading]:
    """Every cut of ``run`` into len(patterns) pieces, piece i matching patterns[i], that keeps the sum rules.

    At most ``limit`` + 1 readings are returned (more means: too many to tell apart).
    """
    tokens = run_tokens(run)
    n = len(patterns)
    if not tokens or sum(map(len, tokens)) > MAX_RUN or n == 0:
        return []
    closing = {rule.total: rule for rule in rules if all(p < rule.total for p in rule.parts)}
    found: list[tuple[str, ...]] = []
    pieces: list[str] = []
    values: list[int | None] = []

    def room(ti: int, off: int) -> int:
        return len(tokens[ti]) - off + sum(len(t) for t in tokens[ti + 1:]) if ti < len(tokens) else 0

    def walk(k: int, ti: int, off: int) -> None:
        if len(found) > limit:
            return
        if k == n:
            if ti == len(tokens):
                found.append(tuple(pieces))
            return
        if ti == len(tokens) or room(ti, off) < n - k:
            return
        token = tokens[ti]
        rule = closing.get(k)
        want = None
        if rule is not None:
            parts = [values[p] for p in rule.parts]
            want = sum(parts) if all(v is not None for v in parts) else None
        ends = range(off + 1, len(token) + 1)
        if want is not None:
            width = len(str(want))
            ends = [end for end in (off + width,) if end <= len(token)]
        for end in ends:
            piece = token[off:end]
            if not patterns[k].fullmatch(piece):
                continue
            value = _count(piece)
            if want is not None and value != want:
                continue
            if end < len(token) and room(ti, end) < n - k - 1:
                break
            pieces.append(piece)
            values.append(value)
            if end == len(token):
                walk(k + 1, ti + 1, 0)
            else:
                walk(k + 1, ti, end)
            pieces.pop()
            values.pop()

    walk(0, 0, 0)
    return [Reading(tuple(Piece(p, locator) for p in cut), "split") for cut in found]


def _count(piece: str) -> int | None:
    return int(piece) if piece.isdigit() else None


def sum_rules(targets: Sequence[Key], instances, value_ok: Callable[[int], bool] = lambda i: True) -> list[SumRule]:
    """The row-local identities of a row as sum rules over its target positions (expected = sum of actual)."""
    index = {key: i for i, key in enumerate(targets)}
    rules = []
    for inst in instances:
        if len(inst.expected) != 1 or any(sign != 1 for _, sign in inst.expected + inst.actual):
            continue
        keys = [k for k, _ in inst.expected + inst.actual]
        if not all(k in index for k in keys):
            continue
        total = index[inst.expected[0][0]]
        parts = tuple(index[k] for k, _ in inst.actual)
        if all(value_ok(i) for i in (total, *parts)):
            rules.append(SumRule(total, parts))
    return rules
