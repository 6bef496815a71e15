"""A document that is no report (status ``not_report``) is credited to nobody and counted nowhere."""

from __future__ import annotations

import shutil

import pytest

from tests.cli import query, xxgk_json
from tests.conftest import ROOT, SAMPLES
from xxgk.process import process_bytes
from xxgk.records import SourceItem

SEED_000 = SAMPLES / "000_4742d3cb85c1027b.txt"
PUBLISHER_COLUMNS = ["publisher_name", "publisher_key", "publisher_normalized", "publisher_kind", "province_name",
                     "province_code", "city_name", "city_code", "county_name", "county_code", "division_code",
                     "publisher_status", "publisher_reason", "publisher_resolution_confidence"]


def _report(data: bytes, file_name: str) -> dict:
    return process_bytes(data, SourceItem(f"file:///in/{file_name}", f"/in/{file_name}", name=file_name)).report


@pytest.mark.slow
def test_the_projects_readme_ingested_by_mistake_is_not_a_report_and_credited_to_nobody(tmp_path, prefect_harness):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(ROOT / "README.md", inbox / "README.md")  # it names 靖江园区 in its samples section
    shutil.copy(SEED_000, inbox)
    db = tmp_path / "xxgk.duckdb"
    summary = xxgk_json("ingest", inbox, "--db", db)
    assert (summary["loaded"], summary["not_report"]) == (1, 1)

    readme = "%/README.md"
    columns = ", ".join(f"s.{c}" for c in ["status", "status_reason", *PUBLISHER_COLUMNS, "publisher_method",
                                          "publisher_confidence", "report_year", "year_method"])
    row = query(db, f"select {columns}, d.is_counted, d.n_facts from staging.stg_reports s join dim_reports d"
                    " using (report_id) where s.source_uri like ?", [readme])
    assert len(row) == 1
    status, reason, *publisher, method, confidence, year, year_method, counted, n_facts = row[0]
    assert status == "not_report"
    assert reason == ("not a report: no report title (年度报告 with a year), none of the six sections and no "
                      "national table")
    assert publisher == [None] * len(PUBLISHER_COLUMNS)
    assert (method, confidence, year, year_method, counted, n_facts) == ("none", 0.0, None, "none", False, 0)
    # nobody is credited with it, and nothing counts it
    assert query(db, "select publisher_name from dim_publishers") == [("常州市武进区人民政府",)]
    assert query(db, "select publisher_name, report_year, coverage_status from coverage") == [
        ("常州市武进区人民政府", 2020, "loaded")]
    for view in ("v_application_metrics", "v_dispute_metrics", "v_applicant_mix"):
        assert query(db, f"select distinct publisher_name from {view}") == [("常州市武进区人民政府",)], view
    assert query(db, "select count(*) from dq_check_results c join dim_reports d using (report_id)"
                     " where d.status = 'not_report'") == [(0,)]


@pytest.mark.parametrize("path", ["README.md", "docs/sources.md", "warehouse/README.md",
                                  "tests/fixtures/variants/README.md"])
def test_the_projects_own_documents_are_not_reports(path):
    report = _report((ROOT / path).read_bytes(), path.rsplit("/", 1)[-1])
    assert (report["status"], report["publisher_name"], report["publisher_key"], report["report_year"]) == (
        "not_report", None, None, None)


def test_a_notice_page_is_not_a_report_though_a_publisher_hint_names_one():
    page = ("<html><head><title>关于开展政务公开培训的通知</title></head><body><h1>关于开展政务公开培训的通知</h1>"
            "<p>各乡镇人民政府、县直各单位：为提升政务公开水平，定于下月举办培训。</p></body></html>").encode()
    report = process_bytes(page, SourceItem("http://x.gov.cn/tz.htm", "/raw/x", publisher_hint="某某县人民政府",
                                            name="page.html")).report
    assert (report["status"], report["publisher_name"], report["publisher_method"]) == ("not_report", None, "none")
    assert report["publisher_hint"] == "某某县人民政府"  # what the registry said stays in staging, credited to nobody


@pytest.mark.parametrize(("text", "status"), [
    # a title alone makes a report (narrative only: no tables)
    ("某某县人民政府2020年政府信息公开工作年度报告\n本年度工作平稳推进。\n", "no_tables"),
    # a section heading alone
    ("一、总体情况\n本年度，我县政府信息公开工作平稳推进。\n", "no_tables"),
    # a national table's label alone: a report whose tables could not be read
    ("本年新收政府信息公开申请数量 12\n", "no_tables"),
    # the whole report flattened onto one line keeps its title and its labels (and is read as a page-text dump)
    (SEED_000.read_text(encoding="utf-8").replace("\n", " "), "partial"),
    ("会议纪要：讨论了食堂菜单和停车位安排。\n", "not_report"),
])
def test_the_rule_is_narrow_a_damaged_report_stays_a_report(text, status):
    assert _report(text.encode("utf-8"), "doc.txt")["status"] == status
