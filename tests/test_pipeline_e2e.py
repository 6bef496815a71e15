"""End to end through the real Prefect flow: files → staging → warehouse → Parquet."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import SAMPLES
from tests.expected import expected_cells

pytestmark = pytest.mark.slow

FACT_TABLES = {
    "fct_proactive_disclosure": 110,
    "fct_applications": 805,
    "fct_admin_reviews": 25,
    "fct_litigation": 50,
}


def query(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_samples_land_in_the_warehouse(sample_warehouse):
    for table, n in FACT_TABLES.items():
        assert query(sample_warehouse, f"select count(*) from {table}") == [(n,)]
    reports = query(sample_warehouse, "select publisher_name, report_year, template_version, layout, status"
                                      " from dim_reports order by source_uri")
    assert [r[0] for r in reports] == ["常州市武进区人民政府", "苏家屯区", "韶关市武江区人民政府", "下城区", "靖江园区"]
    assert {r[1] for r in reports} == {2020} and {r[2] for r in reports} == {"2019"}
    assert [r[3] for r in reports] == ["text_tab", "text_pipe", "text_tab", "text_tab", "text_tab"]
    assert [r[4] for r in reports] == ["loaded", "loaded", "loaded", "partial", "loaded"]
    assert query(sample_warehouse, "select count(*) from ingest_errors") == [(0,)]


def test_every_seed_number_is_exact_in_the_warehouse(sample_warehouse):
    rows = query(sample_warehouse, """
        select regexp_extract(d.source_uri, '/(\\d{3})_[^/]*$', 1) as seed, 'proactive', item_code, metric_code,
               coalesce(cast(amount as double), value), value_status, unit
        from fct_proactive_disclosure f join dim_reports d using (report_id)
        union all
        select regexp_extract(d.source_uri, '/(\\d{3})_[^/]*$', 1), 'applications', outcome_code, applicant_code,
               value, value_status, null
        from fct_applications f join dim_reports d using (report_id)
        union all
        select regexp_extract(d.source_uri, '/(\\d{3})_[^/]*$', 1), 'reviews_litigation', 'admin_review',
               result_code, value, value_status, null
        from fct_admin_reviews f join dim_reports d using (report_id)
        union all
        select regexp_extract(d.source_uri, '/(\\d{3})_[^/]*$', 1), 'reviews_litigation',
               'litigation_' || path_code, result_code, value, value_status, null
        from fct_litigation f join dim_reports d using (report_id)
    """)
    got = {(seed, t, r, c): (v, s) for seed, t, r, c, v, s, _ in rows}
    for seed in ["000", "001", "002", "003", "004"]:
        for (t, r, c), want in expected_cells(f"seed_{seed}.yaml").items():
            assert got[(seed, t, r, c)] == (want["value"], want["status"]), (seed, t, r, c)
    amount = query(sample_warehouse, "select amount, amount_yuan, unit, value from fct_proactive_disclosure"
                                     " where metric_code = 'procurement_amount' and amount = 36462")
    assert amount == [(36462, 364620000, "万元", None)]  # money: an exact decimal in its unit, no count


def test_counts_are_integers_money_exact_decimals_and_no_negative_zero(sample_warehouse):
    """Counts are BIGINT everywhere an analyst reads them (tables, views, checks); money is DECIMAL(38,6) in its
    unit and in yuan, equal to the printed number; no value prints as -0.0."""
    from decimal import Decimal

    from common.values import parse_value

    types = dict(((t, c), ty) for t, c, ty in query(sample_warehouse, """
        select table_name, column_name, data_type from information_schema.columns where table_schema = 'main'"""))
    for table in ("fct_proactive_disclosure", "fct_applications", "fct_admin_reviews", "fct_litigation",
                  "report_claims"):
        assert types[(table, "value")] == "BIGINT", table
    for table, column in [("dq_check_results", "expected"), ("dq_check_results", "actual"),
                          ("dq_check_results", "tolerance"), ("v_application_metrics", "new_received"),
                          ("v_application_metrics", "total_handled"), ("v_dispute_metrics", "review_total"),
                          ("v_applicant_mix", "new_received"), ("coverage", "n_reports")]:
        assert types[(table, column)] == "BIGINT", (table, column)
    assert types[("fct_proactive_disclosure", "amount")] == "DECIMAL(38,6)"
    assert types[("fct_proactive_disclosure", "amount_yuan")] == "DECIMAL(38,6)"
    money = query(sample_warehouse, "select raw_text, amount, unit from fct_proactive_disclosure"
                                    " where amount is not null")
    assert len(money) == 5
    for raw, amount, _unit in money:
        assert amount == parse_value(raw).decimal and isinstance(amount, Decimal), raw
    assert ("7004.69万元", Decimal("7004.69"), "万元") in money
    inferred = query(sample_warehouse, "select value from fct_applications where value_status = 'inferred'")
    assert inferred and all(isinstance(v, int) for (v,) in inferred)
    text = query(sample_warehouse, "select cast(value as varchar) from fct_applications union all"
                                   " select cast(expected as varchar) from dq_check_results")
    assert not [t for (t,) in text if t and t.startswith("-0")]


def test_identities_pass_except_what_the_short_row_makes_not_assessable(sample_warehouse):
    rows = query(sample_warehouse, """
        select d.publisher_name, c.check_code, c.scope, c.status
        from dq_check_results c join dim_reports d using (report_id) where c.status <> 'pass'
        order by all""")
    assert {r[3] for r in rows} == {"not_assessable"}
    assert {r[0] for r in rows} == {"下城区"}
    assert sorted((r[1], r[2]) for r in rows) == sorted(
        [("app_balance", f"column:{c}") for c in
         ["natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total"]]
        + [("app_applicant_sum", "row:carried_forward")]
    )
    per_report = query(sample_warehouse, "select check_code, count(*) from dq_check_results"
                                         " group by all order by all")
    assert per_report == [("app_applicant_sum", 115), ("app_balance", 35), ("app_results_sum", 35),
                          ("narrative", 8), ("rl_sum", 15)]


def test_parquet_reads_back_with_the_same_counts(sample_warehouse):
    parquet = sample_warehouse.parent / "parquet"
    for table, n in FACT_TABLES.items():
        frame = pl.read_parquet(parquet / table / "**" / "*.parquet", hive_partitioning=True)
        assert frame.height == n
        assert frame["report_year"].unique().to_list() == [2020]
    assert (parquet / "fct_applications" / "report_year=2020").is_dir()


def test_ingest_twice_keeps_one_copy_and_skips_unchanged(sample_warehouse, prefect_harness):
    from flows.ingest import ingest_flow

    summary = ingest_flow(paths=[str(SAMPLES)], db=str(sample_warehouse))
    assert (summary["loaded"], summary["unchanged"]) == (0, 5)
    assert query(sample_warehouse, "select count(*) from dim_reports") == [(5,)]
    assert query(sample_warehouse, "select count(*) from fct_applications") == [(805,)]


def test_a_wrong_total_fails_its_checks_and_a_bad_file_does_not_stop_the_batch(tmp_path, prefect_harness):
    from flows.ingest import ingest_flow

    text = (SAMPLES / "000_4742d3cb85c1027b.txt").read_text(encoding="utf-8")
    # （七）总计 of seed 000 prints 181 natural persons; publish a wrong 191 instead
    marker = "\t（七）总计\n\t181\n"
    assert text.count(marker) == 1
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "wrong_total.txt").write_text(text.replace(marker, "\t（七）总计\n\t191\n"), encoding="utf-8")
    (tmp_path / "in" / "garbage.pdf").write_bytes(b"%PDF-1.7\n\x00\x01 this is not a pdf")
    (tmp_path / "in" / "empty.html").write_bytes(b"")
    shutil.copy(SAMPLES / "001_f11dda0cfbad3174.txt", tmp_path / "in")
    db = tmp_path / "x.duckdb"
    ingest_flow(paths=[str(tmp_path / "in")], db=str(db))
    failing = query(db, "select check_code, scope, expected, actual from dq_check_results"
                        " where status = 'fail' order by all")
    assert failing == [
        ("app_applicant_sum", "row:total_handled", 193.0, 203.0),
        ("app_balance", "column:natural_person", 192.0, 202.0),
        ("app_results_sum", "column:natural_person", 191.0, 181.0),
    ]
    errors = query(db, "select regexp_extract(source_uri, '[^/]*$'), stage, error_code from ingest_errors order by 1")
    assert [e[0] for e in errors] == ["empty.html", "garbage.pdf"]
    assert errors[0][2] == "empty_file"
    statuses = query(db, "select regexp_extract(source_uri, '[^/]*$'), status from dim_reports order by 1")
    assert statuses == [("001_f11dda0cfbad3174.txt", "loaded"), ("empty.html", "failed"),
                        ("garbage.pdf", "failed"), ("wrong_total.txt", "inconsistent")]
    # the status says which identities fail, and that the printed numbers allow no other reading
    (reason,) = query(db, "select status_reason from dim_reports where source_uri like '%wrong_total.txt'")[0]
    assert reason == ("identities fail: app_balance column:natural_person (192 ≠ 202); app_results_sum "
                      "column:natural_person (191 ≠ 181); app_applicant_sum row:total_handled (193 ≠ 203) "
                      "(the printed numbers allow no other reading: the source contradicts itself)")
