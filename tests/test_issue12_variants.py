"""Acceptance fixtures of issue 12 (items 2, 3, 4), one test per variant class, each over its fixtures:

* whole-page text dumps (``tests/fixtures/dumps/``, reference §8 "Page-text dumps");
* every table-4 shape (``tests/fixtures/table4/``: header over three rows, ``&nbsp;`` cells, table
  apart from its heading, heading typo ``行政法复议``, OCR Markdown with chopped header words);
* table 2's single-value rows in converter exports (``tests/fixtures/converter/``).

Every fixture is synthetic, built by the folder's ``build_*.py`` from the real pages or the seeds,
and named under ``documents:`` by an expected file (tests/fixtures/expected/) that gives its values.
A document the pipeline does not read exactly today is listed there as
``{path: …, pending: reading engine (issue 12)}``; its exactness test is then a strict xfail (and
``make accuracy`` counts it apart): when the reading engine reads it, the test fails until the
marker is removed from the YAML.

The second test of each fixture holds today already (strict xfail where it does not): a report
whose status is ``loaded`` has no cell read wrong. "Read wrong" is any cell whose value differs from
the expected one while its status is a reading (``reported``, ``inferred``, ``blank``,
``placeholder``, ``text``), not the flag ``missing``: a printed number reported as ``blank`` in a
loaded report is as misleading as a wrong number.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT, load_module
from tests.expected import EXPECTED_DIR, compare, documents_of, expected_cells, expected_spec
from xxgk.process import ReportRecords, SourceItem, process_bytes

FIXTURES = ROOT / "tests" / "fixtures"
XFAIL = pytest.mark.xfail(strict=True, reason="reading engine (issue 12)")
# documents whose loaded report holds a wrong reading today (the safety test is a strict xfail):
# the converter's single-value rows are read as blank cells, the numbers left as unmapped rows
SILENTLY_WRONG_TODAY: set[str] = set()  # was: both converter exports (single-value rows read blank)


def _documents(folder: str) -> list[tuple[str, str, str | None]]:
    """(path, expected file, pending) of every document under tests/fixtures/<folder>/."""
    import yaml

    found = []
    for spec_path in sorted(EXPECTED_DIR.glob("*.yaml")):
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        for path, pending in documents_of(spec, spec_path.name):
            if path.startswith(f"tests/fixtures/{folder}/"):
                found.append((path, spec_path.name, pending))
    return found


def _params(folder: str) -> list:
    """The documents of a folder as test parameters, a strict xfail where the expected file says pending."""
    return [pytest.param(path, name, id=Path(path).name, marks=[XFAIL] if pending else [])
            for path, name, pending in _documents(folder)]


def _safety_params() -> list:
    return [pytest.param(path, name, id=path.removeprefix("tests/fixtures/"),
                         marks=[XFAIL] if path in SILENTLY_WRONG_TODAY else [])
            for folder in ("dumps", "table4", "converter") for path, name, _ in _documents(folder)]


@cache
def _process(path: str) -> ReportRecords:
    full = ROOT / path
    return process_bytes(full.read_bytes(), SourceItem(source_uri=full.as_uri(), path=str(full)))


def _assert_exact(path: str, expected: str) -> ReportRecords:
    """Every cell as the expected file says (value, status, unit), the templates it names, flags explained."""
    records = _process(path)
    report = records.report
    assert report["status"] != "failed", report["status_reason"]
    problems = compare(records.facts, expected)
    spec = expected_spec(expected)
    for field, column in (("template_version", "proactive_template"), ("applications_template",
                                                                       "applications_template")):
        if spec.get(field) is not None and str(spec[field]) != str(report.get(column)):
            problems.append(f"{column}: got {report.get(column)!r}, want {spec[field]!r}")
    assert problems == [], f"{report['status']}: {report['status_reason']}"
    for fact in records.facts:  # a flagged or derived cell says why
        if fact["value_status"] in ("missing", "inferred"):
            assert fact["note"], fact
    if any(cell["status"] == "missing" for cell in expected_cells(expected).values()):
        assert report["status"] != "loaded", "a report with missing cells is not loaded"
    return records


# --- the three classes ----------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "expected"), _params("dumps"))
def test_page_text_dump_gives_the_values_the_identities_allow_and_flags_the_rest(path, expected):
    """A saved page as one line: tables found by their labels in the running text, runs split by the identities.

    A run only one split satisfies is ``inferred``, one several satisfy is ``missing`` (the YAML says why
    for each row); never a guess.
    """
    _assert_exact(path, expected)


@pytest.mark.parametrize(("path", "expected"), _params("table4"))
def test_every_table4_shape_gives_the_report_values(path, expected):
    """Header over three rows (rowspan or &nbsp; cells), blank &nbsp; data cells, table apart from its
    heading, heading typo 行政法复议, OCR Markdown with header words chopped across cells."""
    _assert_exact(path, expected)


@pytest.mark.parametrize(("path", "expected"), _params("converter"))
def test_converter_single_value_rows_give_the_values(path, expected):
    """``| 行政许可 | |`` / ``| 本年处理决定数量 | |`` / ``| 2293 | |``: the value row under its header row."""
    _assert_exact(path, expected)


@pytest.mark.parametrize(("path", "expected"), _safety_params())
def test_a_loaded_report_never_holds_a_wrong_reading(path, expected):
    records = _process(path)
    if records.report["status"] != "loaded":
        return  # flagged (partial, no_tables, …): honest whatever its cells
    got = {(f["table_code"], f["row_code"], f["col_code"]): f for f in records.facts}
    wrong = [f"{key}: {got[key]['value']!r} ({got[key]['value_status']}, raw {got[key]['raw_text']!r}), "
             f"want {want['value']!r}"
             for key, want in expected_cells(expected).items()
             if key in got and got[key]["value_status"] != "missing" and got[key]["value"] != want["value"]]
    assert wrong == [], "loaded with wrong readings"


def test_2019_template_table_in_a_2022_report_keeps_the_2019_template():
    """The template comes from the labels, never from the year (reference §1)."""
    report = _process("tests/fixtures/dumps/seed_001_2022.txt").report
    assert report["report_year"] == 2022
    assert (report["proactive_template"], report["applications_template"]) == ("2019", "2019")


# --- the fixtures are what their builders make ----------------------------------------------------
def test_dumps_are_the_builder_output_one_line_each_and_say_synthetic():
    builder = load_module(FIXTURES / "dumps" / "build_dumps.py")
    names = set()
    for dump in builder.DUMPS:
        text, expected = builder.build(dump)
        committed = (FIXTURES / "dumps" / dump.name).read_text(encoding="utf-8")
        assert committed == text, dump.name
        assert committed.count("\n") == 1 and committed.endswith("\n"), "a dump is one line"
        assert "synthetic" in committed[:100]
        assert (EXPECTED_DIR / builder.expected_name(dump)).read_text(encoding="utf-8") == expected
        names.add(dump.name)
    assert names == {p.name for p in (FIXTURES / "dumps").glob("*.txt")}
    assert {Path(p).name for p, _, _ in _documents("dumps")} == names


@pytest.mark.parametrize(("folder", "script"), [("table4", "build_table4.py"), ("converter", "build_converter.py")])
def test_table4_and_converter_fixtures_are_the_builder_output(folder, script):
    builder = load_module(FIXTURES / folder / script)
    for name, build in builder.BUILDERS.items():
        text = build()
        assert (FIXTURES / folder / name).read_text(encoding="utf-8") == text, name
        assert "synthetic" in text[:400].lower()
    for name, build in getattr(builder, "EXPECTED", {}).items():
        assert (EXPECTED_DIR / name).read_text(encoding="utf-8") == build(), name
    listed = {Path(p).name for p, _, _ in _documents(folder)}
    assert listed == set(builder.BUILDERS) == {p.name for p in (FIXTURES / folder).iterdir()
                                               if p.suffix in (".html", ".md", ".txt") and p.name != "README.md"}
