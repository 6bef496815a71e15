"""The identities of the registry applied to one table's cells: which cells each one sums, and
whether it holds. Used to choose between readings, to split runs of digits, to infer a missing
cell, and (as the rows of ``identity_terms``) by the SQL checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from transforms.registry import Identity, Registry, Template

Key = tuple[str, str]  # (row_code, col_code) within one table


@dataclass(frozen=True)
class Instance:
    """An identity in one scope (a column, a row, a block): signed cells on its two sides."""

    identity: Identity
    scope: str  # e.g. column:natural_person, row:granted, block:admin_review
    expected: tuple[tuple[Key, int], ...]
    actual: tuple[tuple[Key, int], ...]

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def keys(self) -> tuple[Key, ...]:
        return tuple(k for k, _ in self.expected + self.actual)

    @cached_property
    def sums(self) -> tuple[tuple[Key, ...], tuple[Key, ...]] | None:
        """The keys of each side when every term is added (sign +1: each side a plain sum), else None."""
        if any(sign != 1 for _, sign in self.expected + self.actual):
            return None
        return tuple(k for k, _ in self.expected), tuple(k for k, _ in self.actual)

    def verdict(self, value: Callable[[Key], Decimal | None], bounded: bool = False) -> str:
        """``pass``, ``fail`` or ``not_assessable`` (a term without a number).

        ``bounded``: a term without a number is still a count, never negative; the identity then fails
        when no non-negative values of those terms can make it hold (three parts above their total).
        """
        gap = Decimal(0)  # sum(expected) - sum(actual) over the terms with numbers
        unknown: list[int] = []  # the coefficient of each term without a number in that difference
        for side, factor in ((self.expected, 1), (self.actual, -1)):
            for key, sign in side:
                v = value(key)
                if v is None:
                    unknown.append(sign * factor)
                else:
                    gap += sign * factor * v
        if not unknown:
            return "pass" if gap == 0 else "fail"
        if not bounded:
            return "not_assessable"
        # the unknowns u >= 0 must make gap + sum(c * u) == 0
        if all(c > 0 for c in unknown) and gap > 0 or all(c < 0 for c in unknown) and gap < 0:
            return "fail"
        return "not_assessable"

    def solve_for(self, key: Key, value: Callable[[Key], Decimal | None]) -> Decimal | None:
        """The value ``key`` must have for the identity to hold, given every other term (None if one is unknown)."""
        balance = Decimal(0)
        own = 0
        for side, factor in ((self.expected, 1), (self.actual, -1)):
            for k, sign in side:
                if k == key:
                    own += sign * factor
                    continue
                v = value(k)
                if v is None:
                    return None
                balance += sign * factor * v
        if own == 0:
            return None
        return -balance / own


def table_cells(registry: Registry, template: Template, table: str) -> dict[str, tuple[str, ...]]:
    """row code -> its column codes, for one table of one template version."""
    if table == "applications":
        return {row: registry.applicant_codes for row in template.application_rows}
    if table == "reviews_litigation":
        return {block: registry.result_codes for block in registry.block_codes}
    return {item.code: item.metrics for item in template.items}


_INSTANCES: dict[tuple, tuple[Registry, list[Instance]]] = {}


def instances(registry: Registry, template: Template, table: str,
              identities: Iterable[Identity] | None = None) -> list[Instance]:
    """Every within-report identity of ``table`` in every scope whose cells the template has (built once per
    registry, template and table: they are the same for every report)."""
    chosen = tuple(identities) if identities is not None else template.identities
    key = (id(registry), template.version, table, tuple(i.name for i in chosen))
    cached = _INSTANCES.get(key)
    if cached is None or cached[0] is not registry:
        cached = _INSTANCES[key] = (registry, _instances(registry, template, table, chosen))
    return cached[1]


def _instances(registry: Registry, template: Template, table: str, identities: tuple[Identity, ...]) -> list[Instance]:
    cells = table_cells(registry, template, table)
    columns = list(dict.fromkeys(c for cols in cells.values() for c in cols))
    out = []
    for identity in identities:
        if identity.table != table or identity.cross_year:
            continue
        scopes = columns if identity.over_columns else list(cells)
        for scope in scopes:
            def key(code: str, scope: str = scope, identity: Identity = identity) -> Key:
                return (code, scope) if identity.over_columns else (scope, code)

            terms = [(key(t.code), t.sign, t.side) for t in identity.terms]
            if not all(k[1] in cells.get(k[0], ()) for k, _, _ in terms):
                continue
            out.append(Instance(
                identity, f"{identity.for_each}:{scope}",
                tuple((k, s) for k, s, side in terms if side == "expected"),
                tuple((k, s) for k, s, side in terms if side == "actual"),
            ))
    return out


def term_rows(registry: Registry) -> list[dict]:
    """The rows of the warehouse's ``identity_terms`` table: every term of every identity, per template version.

    The SQL check model (sql/checks/chk_identities.sql) evaluates exactly these, so the
    checks in the warehouse and the identities that arbitrate readings are one declaration.
    """
    rows = []
    seen = set()
    for template in registry.templates.values():
        for identity in template.identities:
            version = registry.table_version(identity.table, template.version)
            if (identity.name, version) in seen:
                continue
            seen.add((identity.name, version))
            for term in identity.terms:
                rows.append({
                    "check_code": identity.name, "template_version": version, "table_code": identity.table,
                    "for_each": identity.for_each, "term_code": term.code, "side": term.side, "sign": term.sign,
                    "year_offset": term.year_offset, "n_terms": len(identity.terms), "severity": identity.severity,
                })
    return rows


class Verdict(NamedTuple):  # a report has ~40 of them: a tuple is the cheapest record to make
    instance: Instance
    status: str  # pass | fail | not_assessable
    expected: float
    actual: float

    def describe(self) -> str:
        return f"{self.instance.name} {self.instance.scope} ({_fmt(self.expected)} ≠ {_fmt(self.actual)})"


def _fmt(value: float) -> str:
    return format(Decimal(repr(value)).normalize(), "f")


def evaluate(registry: Registry, facts, templates: dict[str, str], *, failing: str | None = None) -> list[Verdict]:
    """Every within-report identity of the mapped tables on the facts, as the SQL checks judge it:
    only ``reported`` cells are assessed (counts: their float sums are exact). ``failing``: only the failing
    verdicts of the identities of that severity (what a report's status needs)."""
    values: dict[str, dict[Key, float]] = {table: {} for table in templates}
    for f in facts:
        if f.value_status == "reported" and f.value is not None:
            known = values.get(f.table_code)
            if known is not None:
                known[(f.row_code, f.col_code)] = f.value
    verdicts = []
    for table, version in templates.items():
        template = registry.templates.get(version) or next(iter(registry.templates.values()))
        known = values[table]
        for inst in instances(registry, template, table):
            if failing is not None and inst.identity.severity != failing:
                continue
            sides = _plain_sums(inst, known) if inst.sums is not None else None
            if sides is not None:
                status = "pass" if sides[0] == sides[1] else "fail"
            else:
                complete, sides = True, []
                for side in (inst.expected, inst.actual):
                    total = 0.0
                    for key, sign in side:
                        v = known.get(key)
                        if v is None:
                            complete = False
                        else:
                            total += sign * v
                    sides.append(total)
                status = ("pass" if sides[0] == sides[1] else "fail") if complete else "not_assessable"
            if failing is None or status == "fail":
                verdicts.append(Verdict(inst, status, *sides))
    return verdicts


def _plain_sums(inst: Instance, known: dict[Key, float]) -> tuple[float, float] | None:
    """The two sides of an identity whose terms are all added (``inst.sums``), each summed in one pass (the same
    additions, in term order); None when a term has no number."""
    expected = [known.get(key) for key in inst.sums[0]]
    actual = [known.get(key) for key in inst.sums[1]]
    if None in expected or None in actual:
        return None
    return sum(expected, 0.0), sum(actual, 0.0)
