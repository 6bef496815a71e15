"""Derive cells the layout lost from the table's own identities; such values are ``inferred``.

Only cells that are ``missing`` (absent in the layout, or a run no reading could cut) are ever
filled, by an identity the registry marks ``infer: true``, in a scope where every other term is
reported and either:

- exactly one term is missing: it is what the identity needs (never a negative count), or
- several are, all on the side that must make up a difference of zero: counts are never negative,
  so each of them is 0 (merged cells that printed one 0 for several rows).

Blank, placeholder and reported cells are never touched. The identities are applied again until
nothing changes (a cell one of them fills can complete another).
"""

from __future__ import annotations

from decimal import Decimal

from transforms.facts import Fact, MappedReport
from transforms.identities import Instance, instances
from transforms.registry import Registry, load_registry


def infer_missing(report: MappedReport, registry: Registry | None = None) -> int:
    """Fill missing cells solvable by an identity; returns how many were filled."""
    registry = registry or load_registry()
    filled = 0
    lacking = {f.table_code for f in report.facts if f.value_status == "missing"}
    for table, version in report.templates.items():
        if table not in lacking:
            continue
        template = registry.templates.get(version) or next(iter(registry.templates.values()))
        inferable = [i for i in template.identities if i.infer and i.table == table]
        if not inferable:
            continue
        by_key: dict[tuple[str, str], Fact] = {(f.row_code, f.col_code): f for f in report.facts
                                               if f.table_code == table}
        scopes = instances(registry, template, table, inferable)
        changed = True
        while changed:
            changed = False
            for inst in scopes:
                n = _fill(inst, by_key)
                filled += n
                changed |= n > 0
    return filled


def _fill(inst: Instance, by_key: dict[tuple[str, str], Fact]) -> int:
    facts = [by_key.get(k) for k in inst.keys]
    if any(f is None for f in facts):
        return 0
    unknown = [f for f in facts if f.value_status == "missing"]
    if not unknown or len(unknown) + sum(f.value_status in ("reported", "inferred") for f in facts) != len(facts):
        return 0

    def known(key) -> Decimal | None:
        fact = by_key[key]
        return Decimal(repr(fact.value)) if fact.value_status in ("reported", "inferred") else None

    if len(unknown) == 1:
        value = inst.solve_for((unknown[0].row_code, unknown[0].col_code), known)
        if value is None or value < 0:
            return 0  # a negative count is no solution: leave the cell missing
        values = [value]
        how = f"inferred from {inst.name}"
    else:
        coefficients = [c for side, factor in ((inst.expected, 1), (inst.actual, -1)) for (key, sign) in side
                        if by_key[key].value_status == "missing" for c in [sign * factor]]
        gap = sum((sign * factor * known(key) for side, factor in ((inst.expected, 1), (inst.actual, -1))
                   for key, sign in side if by_key[key].value_status != "missing"), Decimal(0))
        if gap != 0 or not (all(c > 0 for c in coefficients) or all(c < 0 for c in coefficients)):
            return 0
        values = [Decimal(0)] * len(unknown)
        how = f"inferred from {inst.name}: its other terms leave 0 to share, and counts are never negative"
    for fact, value in zip(unknown, values, strict=True):
        fact.value = float(value) + 0.0  # never -0.0
        fact.value_status = "inferred"
        fact.note = f"{fact.note or 'missing'}; {how}"
    return len(unknown)
