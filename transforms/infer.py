"""Derive cells the layout lost from the table's own identities; such values are ``inferred``.

Only cells that are ``missing`` (absent in the layout) are ever filled, and only when an identity
marked ``infer: true`` in the registry has exactly one unknown term. Blank, placeholder and
reported cells are never touched.
"""

from __future__ import annotations

from decimal import Decimal

from transforms.mapper import Fact, MappedReport
from transforms.registry import APPLICANT_ORDER, Registry, load_registry


def infer_missing(report: MappedReport, registry: Registry | None = None) -> int:
    """Fill missing application cells solvable by an identity; returns how many were filled."""
    registry = registry or load_registry()
    by_key: dict[tuple[str, str], Fact] = {
        (f.row_code, f.col_code): f for f in report.facts if f.table_code == "applications"
    }
    filled = 0
    for code, identity in registry.identities.items():
        if not identity.get("infer"):
            continue
        lhs, rhs = identity["lhs"], identity["rhs"]
        for column in APPLICANT_ORDER:
            terms = [(row, 1) for row in lhs] + [(row, -1) for row in rhs]
            facts = [(by_key.get((row, column)), sign) for row, sign in terms]
            if any(f is None for f, _ in facts):
                continue
            unknown = [(f, s) for f, s in facts if f.value_status == "missing"]
            known = [(f, s) for f, s in facts if f.value_status == "reported"]
            if len(unknown) != 1 or len(known) != len(facts) - 1:
                continue
            target, sign = unknown[0]
            balance = sum(Decimal(repr(f.value)) * s for f, s in known)  # exact: 0.1 + 0.2 is 0.3
            value = float(-balance / sign)
            if value < 0:
                continue  # a negative count is no solution: leave the cell missing
            target.value = value
            target.value_status = "inferred"
            target.note = f"{target.note or 'missing'}; inferred from {code}"
            filled += 1
    return filled
