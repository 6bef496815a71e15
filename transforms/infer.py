"""Derive cells the layout lost from the table's own identities; such values are ``inferred``.

Only cells that are ``missing`` (absent in the layout) are ever filled, and only by an identity the
registry marks ``infer: true``, in a scope where it has exactly one unknown term and every other
term is reported. Blank, placeholder and reported cells are never touched.
"""

from __future__ import annotations

from decimal import Decimal

from transforms.facts import Fact, MappedReport
from transforms.identities import instances
from transforms.registry import Registry, load_registry


def infer_missing(report: MappedReport, registry: Registry | None = None) -> int:
    """Fill missing cells solvable by an identity; returns how many were filled."""
    registry = registry or load_registry()
    filled = 0
    for table, version in report.templates.items():
        template = registry.templates.get(version) or next(iter(registry.templates.values()))
        inferable = [i for i in template.identities if i.infer and i.table == table]
        if not inferable:
            continue
        by_key: dict[tuple[str, str], Fact] = {(f.row_code, f.col_code): f for f in report.facts
                                               if f.table_code == table}

        def known(key, by_key=by_key) -> Decimal | None:
            fact = by_key.get(key)
            return Decimal(repr(fact.value)) if fact and fact.value_status == "reported" else None

        for inst in instances(registry, template, table, inferable):
            facts = [by_key.get(k) for k in inst.keys]
            if any(f is None for f in facts):
                continue
            unknown = [f for f in facts if f.value_status == "missing"]
            if len(unknown) != 1 or sum(f.value_status == "reported" for f in facts) != len(facts) - 1:
                continue
            target = unknown[0]
            value = inst.solve_for((target.row_code, target.col_code), known)
            if value is None or value < 0:
                continue  # a negative count is no solution: leave the cell missing
            target.value = float(value)
            target.value_status = "inferred"
            target.note = f"{target.note or 'missing'}; inferred from {inst.name}"
            filled += 1
    return filled
