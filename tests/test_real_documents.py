"""Real published reports and renderings of the seeds in other layouts give exact facts (no Prefect)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.expected import compare, expected_spec
from transforms.infer import infer_missing
from transforms.mapper import map_document
from xxgk.reading import read_bytes

FIXTURES = Path(__file__).parent / "fixtures"


def mapped_file(path: Path):
    fmt, doc = read_bytes(path.read_bytes(), path.name)
    report = map_document(doc)
    infer_missing(report)
    return fmt, doc, report


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("pingtan_2019.html", "html"),
        ("pingtan_2021.html", "html"),
        ("pingtan_2024.html", "html"),
        ("huaian_2024.pdf", "pdf"),
    ],
)
def test_real_report_exact(name, layout):
    _, doc, report = mapped_file(FIXTURES / "real" / name)
    expected = Path(name).stem + ".yaml"
    spec = expected_spec(expected)
    assert doc.layout == layout
    assert report.templates["proactive"] == spec["template_version"]
    assert report.templates["applications"] == spec["applications_template"]
    assert compare(report.facts, expected) == []
    cells = {"2019": 22 + 161 + 15, "2021": 10 + 175 + 15}[spec["template_version"]]
    assert len(report.facts) == cells


def _value(report, table, row, col):
    return next(f for f in report.facts if (f.table_code, f.row_code, f.col_code) == (table, row, col))


def test_huaian_headline_numbers():
    _, _, report = mapped_file(FIXTURES / "real" / "huaian_2024.pdf")
    assert _value(report, "applications", "new_received", "total").value == 3119
    assert _value(report, "applications", "carried_over", "total").value == 34
    assert _value(report, "applications", "total_handled", "total").value == 3050
    assert _value(report, "applications", "carried_forward", "total").value == 103
    assert _value(report, "reviews_litigation", "admin_review", "total").value == 351
    assert _value(report, "reviews_litigation", "litigation_direct", "total").value == 26
    assert _value(report, "reviews_litigation", "litigation_after_review", "total").value == 20
    fee = _value(report, "proactive", "fees", "fee_amount")
    assert (fee.value, fee.unit, fee.amount_yuan) == (96171.6, "万元", 961716000)
    assert _value(report, "proactive", "penalties", "decisions").value == 3985758


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_seed_rendered_as_html_gives_the_seed_facts(seed):
    """Each seed as an HTML table with real rowspan/colspan maps to exactly the seed text's facts."""
    _, doc, report = mapped_file(FIXTURES / "html" / f"seed_{seed}.html")
    assert doc.layout == "html"
    assert any(t.has_spans() for t in doc.tables)
    assert compare(report.facts, f"seed_{seed}.yaml") == []


def test_seed_rendered_as_docx_with_merged_cells_gives_the_seed_facts():
    _, doc, report = mapped_file(FIXTURES / "docx" / "report_000.docx")
    assert doc.layout == "docx"
    assert any(t.has_spans() for t in doc.tables)
    assert compare(report.facts, "seed_000.yaml") == []
