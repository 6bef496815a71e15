"""Canonical facts: one per template cell of a report, read, derived, or missing with the reason.

The mapping engine's output (transforms/mapper.py for cell grids, transforms/flat.py for runs of
text): every template cell of a table that was found becomes a Fact, from the reading the
identities chose (transforms/solve.py) or ``missing`` with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from common.values import UNIT_FACTORS_YUAN, amount_in_yuan, parse_value
from transforms.solve import Choice


@dataclass(slots=True)
class Fact:
    """One canonical cell of one report."""

    table_code: str  # proactive | applications | reviews_litigation
    row_code: str  # item_code | outcome_code | block code
    col_code: str  # metric_code | applicant_code | result_code
    template_version: str
    value: float | None
    value_status: str  # reported | blank | placeholder | text | missing | inferred
    raw_text: str | None
    unit: str | None = None
    amount_yuan: Decimal | None = None
    article_code: str | None = None
    outcome_group: str | None = None
    locator: str | None = None
    label_text: str | None = None
    note: str | None = None


@dataclass(slots=True)
class UnmappedRow:
    table_code: str | None
    label_text: str
    values: str
    locator: str
    reason: str


@dataclass
class MappedReport:
    facts: list[Fact] = field(default_factory=list)
    unmapped: list[UnmappedRow] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)  # table_code -> template version
    warnings: list[str] = field(default_factory=list)
    rereadings: list[str] = field(default_factory=list)  # rows whose reading the identities chose

    @property
    def template_version(self) -> str | None:
        """What table 2 follows (reference §8: hybrids are read per table)."""
        return self.templates.get("proactive") or self.templates.get("applications")


def fact_from_text(raw: str | None, base: dict, *, locator: str | None = None, unit_hint: str | None = None,
                   money: bool = False, status: str | None = None, note: str | None = None) -> Fact:
    """A fact from one printed string: its number, unit and money amount, ``status`` for a derived one."""
    if raw is None:
        return missing(base, note or "cell absent", locator=locator)
    value, value_status, unit, amount, notes = _read_cell(raw, unit_hint, money, status, note)
    return Fact(**base, value=value, value_status=value_status, raw_text=raw, unit=unit, amount_yuan=amount,
                locator=locator, note=notes)


@lru_cache(maxsize=65536)
def _read_cell(raw: str, unit_hint: str | None, money: bool, status: str | None,
               note: str | None) -> tuple[float | None, str, str | None, Decimal | None, str | None]:
    """(value, value_status, unit, amount in yuan, note) of a printed string in a cell of this kind: the same
    string in the same kind of cell always reads alike, and cells repeat across reports (cached)."""
    parsed = parse_value(raw)
    notes = [n for n in (note, parsed.note) if n]
    if parsed.status == "reported" and parsed.unit and (parsed.unit in UNIT_FACTORS_YUAN) != money:
        return None, "text", None, None, "; ".join(
            [*notes, f"unit {parsed.unit} does not fit a {'money' if money else 'count'} cell"])
    unit = parsed.unit or (unit_hint if parsed.status == "reported" else None)
    amount = None
    if money and parsed.status == "reported":
        amount = amount_in_yuan(parsed.decimal, unit)
        if amount is None and parsed.decimal == 0:
            amount = Decimal(0)
        elif amount is None:
            notes.append("amount without a unit: kept, not converted")
    value_status = status if (status and parsed.status == "reported") else parsed.status
    return parsed.value, value_status, unit, amount, "; ".join(notes) or None


def missing(base: dict, reason: str, raw: str | None = None, locator: str | None = None) -> Fact:
    return Fact(**base, value=None, value_status="missing", raw_text=raw, locator=locator, note=reason)


def facts_of_choice(choice: Choice, bases: list[dict]) -> list[Fact]:
    """The facts of one row from what the identities chose for it (``bases``: one per target)."""
    row = choice.row
    facts = []
    derived = _derived_note(choice) if choice.kind not in (None, "as_printed") else None
    unresolved = f"{choice.reason} (run {row.raw!r})" if row.is_run else choice.reason
    hints, money, as_printed = row.unit_hints, row.money, choice.kind == "as_printed"
    for i, (piece, base) in enumerate(zip(choice.pieces, bases, strict=True)):
        hint = hints[i] if i < len(hints) else None
        if piece is None:
            facts.append(missing(base, unresolved or "cell absent", row.raw, row.locator))
        elif piece.text is None:
            facts.append(missing(base, f"{row.problem}: no printed value for this cell" if row.problem
                                 else "cell absent", row.raw, row.locator))
        elif as_printed:
            facts.append(fact_from_text(piece.text, base, locator=piece.locator, unit_hint=hint, money=i in money))
        else:
            facts.append(fact_from_text(piece.text, base, locator=piece.locator or row.locator, unit_hint=hint,
                                        money=i in money, status="inferred", note=derived))
    return facts


def _derived_note(choice: Choice) -> str:
    """How a cell of a re-read row got its printed string: the identities (or formats) that chose it."""
    row = choice.row
    by = ", ".join(choice.used)
    if row.is_run:
        what = f"segmented from {row.raw!r}"
        if choice.n_left > 1:
            return f"{what}: the {choice.n_left} cuts that fit {by or 'the value formats'} agree on this cell"
        return f"{what} by {by}" if by else f"{what}: the only split obeying the value formats (no identity applies)"
    basis = f"placed by {by}" if by else "the only placement of the printed cells"
    if choice.kind == "positioned":
        basis = "placed by the header's columns" + (f" (checked by {by})" if by else "")
    if choice.n_left > 1:
        basis = f"the {choice.n_left} placements that fit {by or 'the printed cells'} agree on this cell"
    return f"{row.problem}: {basis}" if row.problem else basis
