"""Choose the reading of a table that its identities accept (DESIGN: the identities decide, not only report).

Each row comes with the readings its layout leaves open (transforms/readings.py). Readings are
scored by the identities they can be checked on: fewest failing, then most holding, then closest to
the printed order. Row-local identities (a row's total) narrow each row first; the identities across
rows (a column's balance, its sum of results) then narrow the rows still open, together. A cell on
which the best readings disagree is left unresolved (``ambiguous``): never a guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from transforms.identities import Instance, Key
from transforms.readings import Piece, Reading, RowInput, number

MAX_COMBINATIONS = 50_000  # cross-row combinations checked before the open rows are called ambiguous


@dataclass
class Choice:
    """What was decided for one row: a piece per target, or None where the readings left disagree."""

    row: RowInput
    pieces: tuple[Piece | None, ...]
    kind: str | None  # the kind of the readings chosen (as_printed, placed, split), None if none
    n_readings: int  # readings the row offered
    n_left: int  # readings left after the identities
    used: tuple[str, ...]  # identities that narrowed the row
    reason: str | None  # why some targets are unresolved


def _score(instances: Sequence[Instance], value_of) -> tuple[int, int]:
    """(failing, holding) identities, unknown counts bounded to be non-negative."""
    fails = passes = 0
    for inst in instances:
        verdict = inst.verdict(value_of, bounded=True)
        fails += verdict == "fail"
        passes += verdict == "pass"
    return fails, passes


def solve(rows: Sequence[RowInput], instances: Sequence[Instance]) -> list[Choice]:
    """One Choice per row, in order."""
    if all(len(row.readings) == 1 for row in rows):  # nothing to choose (every well-formed row)
        return [Choice(row, row.readings[0].pieces, row.readings[0].kind, 1, 1, row.used, None) for row in rows]
    where: dict[Key, tuple[int, int]] = {}
    for r, row in enumerate(rows):
        for p, key in enumerate(row.targets):
            where.setdefault(key, (r, p))
    local: dict[int, list[Instance]] = {}
    cross: list[Instance] = []
    for inst in instances:
        # a term no row printed is an unknown count (never negative): the identity can still reject readings
        owners = {where[k][0] for k in inst.keys if k in where}
        if not owners:
            continue
        if len(owners) == 1:
            local.setdefault(owners.pop(), []).append(inst)
        else:
            cross.append(inst)

    # 1. each row narrowed by its own identities
    options: list[list[Reading]] = []
    used: list[set[str]] = [set(row.used) for row in rows]
    for r, row in enumerate(rows):
        readings = row.readings
        if len(readings) > 1 and local.get(r):
            scored = []
            for reading in readings:
                def value(key, reading=reading):
                    return number(reading.pieces[where[key][1]]) if key in where else None
                fails, passes = _score(local[r], value)
                scored.append(((fails, -passes), reading))  # cost breaks ties only once every identity spoke
            best = min(s for s, _ in scored)
            readings = [reading for s, reading in scored if s == best]
            used[r].update(inst.name for inst in local[r])
        options.append(list(readings))

    # 2. the rows still open, narrowed together by the identities across rows
    open_rows = sorted({where[k][0] for inst in cross for k in inst.keys if k in where
                        and len(options[where[k][0]]) > 1})
    reason_open = None
    if open_rows:
        size = 1
        for r in open_rows:
            size *= len(options[r])
        relevant = [inst for inst in cross if any(where.get(k, (None,))[0] in open_rows for k in inst.keys)]
        fixed = {r: opts[0] for r, opts in enumerate(options) if len(opts) == 1}
        if size > MAX_COMBINATIONS:
            reason_open = f"{size} combinations of readings across rows are too many to check"
        elif relevant:
            values = [[tuple(number(p) for p in reading.pieces) for reading in options[r]] for r in open_rows]
            position = {r: i for i, r in enumerate(open_rows)}

            def lookup(key: Key, combo) -> Decimal | None:
                if key not in where:
                    return None
                r, p = where[key]
                if r in position:
                    return values[position[r]][combo[position[r]]][p]
                reading = fixed.get(r)
                return number(reading.pieces[p]) if reading else None

            best_score, best = None, []
            for combo in itertools.product(*(range(len(options[r])) for r in open_rows)):
                fails, passes = _score(relevant, lambda key, combo=combo: lookup(key, combo))
                cost = sum(options[r][i].cost for r, i in zip(open_rows, combo, strict=True))
                score = (fails, -passes, cost)
                if best_score is None or score < best_score:
                    best_score, best = score, [combo]
                elif score == best_score:
                    best.append(combo)
            for i, r in enumerate(open_rows):
                kept = sorted({combo[i] for combo in best})
                used[r].update(inst.name for inst in relevant if any(where.get(k, (None,))[0] == r for k in inst.keys))
                options[r] = [options[r][j] for j in kept]

    # 3. among readings every identity finds equally good, the closest to print (a cell placed by where the page
    # drew it before one placed by order); then what the readings left agree on
    for r in range(len(rows)):
        if options[r] and r not in open_rows:
            cheapest = min(x.cost for x in options[r])
            options[r] = [x for x in options[r] if x.cost == cheapest]
    choices = []
    for r, row in enumerate(rows):
        left = options[r]
        if not left:
            choices.append(Choice(row, (None,) * len(row.targets), None, 0, 0, (), row.problem or "no reading"))
            continue
        pieces = tuple(ps[0] if len(set(ps)) == 1 else None for ps in zip(*(x.pieces for x in left), strict=True))
        kinds = {x.kind for x in left}
        reason = None
        if any(p is None for p in pieces):
            noun = "segmentations" if row.is_run else "readings"
            names = ", ".join(sorted(used[r])) or ("the value formats" if row.is_run else "the printed cells")
            why = reason_open if reason_open is not None and r in open_rows else f"{len(left)} {noun} fit {names}"
            reason = "; ".join(x for x in (row.problem, f"ambiguous: {why}") if x)
        choices.append(Choice(row, pieces, kinds.pop() if len(kinds) == 1 else "mixed", len(row.readings),
                              len(left), tuple(sorted(used[r])), reason))
    return choices
