"""Read the expected-values fixtures (tests/fixtures/expected/*.yaml) into comparable cells."""

from __future__ import annotations

from pathlib import Path

import yaml

from transforms.registry import APPLICANT_ORDER, RESULT_ORDER

EXPECTED_DIR = Path(__file__).parent / "fixtures" / "expected"


def _cell(spec) -> dict:
    if isinstance(spec, dict):
        return {"value": spec.get("value"), "status": spec.get("status", "reported"), "unit": spec.get("unit")}
    return {"value": spec, "status": "reported", "unit": None}


def expected_cells(name: str) -> dict[tuple[str, str, str], dict]:
    """(table_code, row_code, col_code) → {value, status, unit} from one expected-values file."""
    spec = yaml.safe_load((EXPECTED_DIR / name).read_text(encoding="utf-8"))
    cells: dict[tuple[str, str, str], dict] = {}
    for item, metrics in (spec.get("proactive") or {}).items():
        for metric, value in metrics.items():
            cells[("proactive", item, metric)] = _cell(value)
    for outcome, values in (spec.get("applications") or {}).items():
        for applicant, value in zip(APPLICANT_ORDER, values, strict=True):
            cells[("applications", outcome, applicant)] = _cell(value)
    for block, values in (spec.get("reviews_litigation") or {}).items():
        for result, value in zip(RESULT_ORDER, values, strict=True):
            cells[("reviews_litigation", block, result)] = _cell(value)
    return cells


def expected_spec(name: str) -> dict:
    return yaml.safe_load((EXPECTED_DIR / name).read_text(encoding="utf-8"))


def compare(facts, name: str) -> list[str]:
    """Differences between mapped facts and an expected-values file (empty list: all exact)."""
    expected = expected_cells(name)
    got = {(f.table_code, f.row_code, f.col_code): f for f in facts}
    problems = []
    for key, want in expected.items():
        fact = got.get(key)
        if fact is None:
            problems.append(f"{key}: not found")
            continue
        if fact.value != want["value"] or fact.value_status != want["status"]:
            problems.append(f"{key}: got {fact.value!r} ({fact.value_status}, raw {fact.raw_text!r}), "
                            f"want {want['value']!r} ({want['status']})")
        elif want["unit"] and fact.unit != want["unit"]:
            problems.append(f"{key}: unit {fact.unit!r}, want {want['unit']!r}")
    for key in got.keys() - expected.keys():
        problems.append(f"{key}: unexpected fact")
    return problems
