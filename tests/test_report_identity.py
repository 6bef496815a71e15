"""One report per content: copies and renderings are aliases, a moved folder is not read again, rival reports
of one publisher and year are both kept and one is counted, cross-year checks stay linear. The CLI as typed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli import name, query, xxgk_json
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

SEED_000 = SAMPLES / "000_4742d3cb85c1027b.txt"
SEED_001 = SAMPLES / "001_f11dda0cfbad3174.txt"
DOCX_000 = ROOT / "tests" / "fixtures" / "docx" / "report_000.docx"  # seed 000 rendered as Word: the same facts


def _edited(old: str, new: str) -> str:
    text = SEED_000.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _table2_variant() -> str:
    """Seed 000 with another 行政许可 处理决定数量 (table 2 has no identity inside a report): still loaded."""
    return _edited("\t158268\n", "\t158269\n")


def _wrong_total() -> str:
    return _edited("\t（七）总计\n\t181\n", "\t（七）总计\n\t191\n")


def _aliases(db: Path) -> list[tuple]:
    return query(db, "select regexp_extract(a.alias_uri, '[^/]*$'), regexp_extract(d.source_uri, '[^/]*$'), a.reason"
                     " from report_aliases a join dim_reports d using (report_id) order by 1")


def test_copies_and_renderings_of_one_report_are_one_report_with_aliases(tmp_path, prefect_harness):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(SEED_000, inbox / "a_000.txt")
    shutil.copy(SEED_000, inbox / "b_copy.txt")  # the same bytes at another path
    shutil.copy(DOCX_000, inbox / "c_000.docx")  # the same facts from Word
    shutil.copy(SEED_001, inbox / "d_001.txt")
    db = tmp_path / "xxgk.duckdb"
    summary = xxgk_json("ingest", inbox, "--db", db)
    assert (summary["read"], summary["loaded"], summary["same_bytes"]) == (4, 4, 0)  # one run: all read

    assert query(db, "select regexp_extract(source_uri, '[^/]*$'), n_aliases, is_counted, rival_reports"
                     " from dim_reports order by 1") == [("a_000.txt", 2, True, 0), ("d_001.txt", 0, True, 0)]
    assert _aliases(db) == [("b_copy.txt", "a_000.txt", "same_bytes"), ("c_000.docx", "a_000.txt", "same_facts")]
    # counted once everywhere
    assert query(db, "select count(*) from fct_applications") == [(2 * 161,)]
    assert query(db, "select count(*) from v_application_metrics") == [(2,)]
    assert query(db, "select count(distinct report_id) from cells") == [(2,)]
    assert query(db, "select count(distinct report_id) from report_sections") == [(2,)]
    assert query(db, "select count(distinct report_id) from dq_check_results") == [(2,)]
    assert query(db, "select n_reports from dim_publishers order by 1") == [(1,), (1,)]
    # staging keeps what each URI read: nothing was lost by grouping
    assert query(db, "select count(*) from staging.stg_reports") == [(4,)]


def test_a_moved_folder_is_not_read_again(tmp_path, prefect_harness):
    first = tmp_path / "reports"
    first.mkdir()
    for seed in sorted(SAMPLES.glob("*.txt")):
        shutil.copy(seed, first)
    db = tmp_path / "wh" / "xxgk.duckdb"
    assert xxgk_json("ingest", first, "--db", db)["loaded"] == 4
    before = query(db, "select report_id, source_uri, sha256 from dim_reports order by all")

    moved = tmp_path / "archive" / "reports-2020"
    moved.parent.mkdir()
    first.rename(moved)
    summary = xxgk_json("ingest", moved, "--db", db)
    assert (summary["files"], summary["read"], summary["same_bytes"]) == (5, 0, 5)
    assert {(name(a["source_uri"]), a["same_as"]) for a in summary["same_bytes_files"]} == {
        (name(uri), uri) for _id, uri, _sha in before}
    # the same five reports, known by their bytes; the new paths are their aliases
    assert query(db, "select report_id, source_uri, sha256 from dim_reports order by all") == before
    assert query(db, "select count(*), min(reason), max(reason) from report_aliases"
                     " where alias_uri like '%/archive/reports-2020/%'") == [(5, "same_bytes", "same_bytes")]
    assert query(db, "select count(*) from v_application_metrics") == [(5,)]
    # and the next run over the moved folder finds them unchanged
    again = xxgk_json("ingest", moved, "--db", db)
    assert (again["read"], again["unchanged"], again["same_bytes"]) == (0, 5, 0)


def test_rival_reports_of_one_publisher_and_year_are_kept_flagged_and_one_is_counted(tmp_path, prefect_harness):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(SEED_000, inbox / "first.txt")
    (inbox / "wrong_total.txt").write_text(_wrong_total(), encoding="utf-8")
    db = tmp_path / "xxgk.duckdb"
    xxgk_json("ingest", inbox, "--db", db)
    # a corrected re-publication arrives later: loaded too, with other facts
    (inbox / "republished.txt").write_text(_table2_variant(), encoding="utf-8")
    assert xxgk_json("ingest", inbox, "--db", db)["loaded"] == 1

    rows = query(db, "select regexp_extract(source_uri, '[^/]*$'), status, rival_reports, is_counted from dim_reports"
                     " order by 1")
    # the best status first (loaded before inconsistent), then the latest: the republished report counts
    assert rows == [("first.txt", "loaded", 2, False), ("republished.txt", "loaded", 2, True),
                    ("wrong_total.txt", "inconsistent", 2, False)]
    counted = query(db, "select report_id from dim_reports where is_counted")
    assert query(db, "select counted_report_id, n_reports, coverage_status from coverage") == [
        (counted[0][0], 3, "loaded")]
    for view in ("v_application_metrics", "v_dispute_metrics"):
        assert query(db, f"select report_id from {view}") == counted, view
    assert query(db, "select count(distinct report_id) from v_applicant_mix") == [(1,)]
    # every kept report keeps its facts and its own checks
    assert query(db, "select count(distinct report_id) from fct_applications") == [(3,)]
    assert query(db, "select count(*) from dq_check_results where status = 'fail'") == [(3,)]


def test_cross_year_checks_join_only_the_counted_report_of_each_year(tmp_path, prefect_harness):
    inbox = tmp_path / "in"
    inbox.mkdir()
    next_year = _edited("2020年政府信息公开工作年度报告", "2021年政府信息公开工作年度报告")
    for i in range(6):  # six copies of each year, and for 2020 a Word rendering and two rival reports
        shutil.copy(SEED_000, inbox / f"2020_copy{i}.txt")
        (inbox / f"2021_copy{i}.txt").write_text(next_year, encoding="utf-8")
    shutil.copy(DOCX_000, inbox / "2020_word.docx")
    (inbox / "2020_rival_a.txt").write_text(_table2_variant(), encoding="utf-8")
    (inbox / "2020_rival_b.txt").write_text(_edited("\t814\n", "\t815\n"), encoding="utf-8")
    db = tmp_path / "xxgk.duckdb"
    assert xxgk_json("ingest", inbox, "--db", db)["read"] == 15

    assert query(db, "select report_year, count(*), sum(rival_reports), count(*) filter (where is_counted)"
                     " from dim_reports group by 1 order by 1") == [(2020, 3, 6, 1), (2021, 1, 0, 1)]
    assert query(db, "select count(*) from report_aliases") == [(11,)]
    # one row per applicant column: the counted 2021 report against the counted 2020 report, never n × m
    carry = query(db, "select c.scope, d.report_year, d.is_counted from checks.chk_identities c join dim_reports d"
                      " using (report_id) where c.check_code = 'x_carry' order by 1")
    assert len(carry) == 7 and {(year, counted) for _s, year, counted in carry} == {(2021, True)}
    assert {scope.split(" vs ")[1] for scope, *_ in carry} == {"2020"}
    assert query(db, "select count(*) from checks.chk_identities where check_code = 'x_items'") == query(
        db, "select count(distinct item_code) from fct_proactive_disclosure f join dim_reports d using (report_id)"
            " where d.is_counted and d.report_year = 2021 and f.metric_code in ('prior_items', 'items_change')")


def test_a_copy_keeps_its_report_when_the_original_changes(tmp_path, prefect_harness):
    original, copies = tmp_path / "county", tmp_path / "department"
    original.mkdir()
    copies.mkdir()
    shutil.copy(SEED_000, original / "report.txt")
    shutil.copy(SEED_000, copies / "report.txt")
    db = tmp_path / "xxgk.duckdb"
    xxgk_json("ingest", original, "--db", db)
    assert xxgk_json("ingest", copies, "--db", db)["same_bytes"] == 1  # recorded as an alias, not read
    assert _aliases(db) == [("report.txt", "report.txt", "same_bytes")]

    # the original is replaced by other bytes: the copy, never read, takes over the old version's records
    (original / "report.txt").write_text(_wrong_total(), encoding="utf-8")
    assert xxgk_json("ingest", original, "--db", db)["inconsistent"] == 1
    rows = query(db, "select regexp_extract(source_uri, '[^/]*/[^/]*$'), status, is_counted, n_facts"
                     " from dim_reports order by 1")
    assert rows == [("county/report.txt", "inconsistent", False, 198), ("department/report.txt", "loaded", True, 198)]
    assert _aliases(db) == []
    assert query(db, "select regexp_extract(source_uri, '[^/]*/[^/]*$'), status, event from report_history") == [
        ("county/report.txt", "loaded", "replaced")]
    assert query(db, "select count(*) from fct_applications") == [(2 * 161,)]
    again = xxgk_json("ingest", copies, "--db", db)
    assert (again["unchanged"], again["read"]) == (1, 0)
