"""Issue 14, the warehouse analysts open first: schemas, labels, divisions, check reasons, complete Parquet read
back by duckdb and polars, the export stamp, and the command line (check, show, progress on a terminal)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from tests.cli import XXGK, cli_env, query, xxgk
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow  # the session's sample warehouse is ingested by the Prefect flow

REGISTRY = ROOT / "transforms" / "registry"
SEED_000 = SAMPLES / "000_4742d3cb85c1027b.txt"
SEED_003 = SAMPLES / "003_f9c2f6eb9b2da975.txt"


def test_schemas_keep_the_analyst_tables_apart(sample_warehouse):
    objects = dict(((s, t), k) for s, t, k in query(
        sample_warehouse, "select table_schema, table_name, table_type from information_schema.tables"))
    main = {t for s, t in objects if s == "main"}
    assert not [t for t in main if t.startswith(("stg_", "chk_"))] and "identity_terms" not in main
    assert {"dim_reports", "dim_publishers", "dim_divisions", "labels", "coverage", "dq_check_results",
            "v_application_metrics", "v_dispute_metrics", "v_applicant_mix"} <= main
    assert {t for s, t in objects if s == "staging"} == {p.stem for p in (ROOT / "sql" / "staging").glob("*.sql")}
    assert {t for s, t in objects if s == "checks"} == {"chk_identities", "chk_narrative",
                                                        "identity_terms", "facts"}
    assert objects[("checks", "facts")] == "VIEW" and ("crawl", "fetch_log") in objects
    assert query(sample_warehouse, "select count(*) from meta.build_info") == [(1,)]
    assert query(sample_warehouse, "select count(*) from staging.stg_facts") == query(
        sample_warehouse, "select count(*) from checks.facts")


def _first_labels() -> dict[tuple[str, str, str], str]:
    common = yaml.safe_load((REGISTRY / "common.yaml").read_text(encoding="utf-8"))
    first = {("applications", "outcome", r["code"]): r["labels"][0] for r in common["applications"]["rows"]}
    first |= {("applications", "applicant", c["code"]): c["labels"][0] for c in common["applications"]["columns"]}
    rl = common["reviews_litigation"]
    first |= {("reviews_litigation", "block", b["code"]): b["labels"][0] for b in rl["blocks"]}
    first |= {("reviews_litigation", "result", r["code"]): r["labels"][0] for r in rl["results"]}
    return first


def test_labels_come_from_the_registry_with_english_and_versions(sample_warehouse):
    rows = query(sample_warehouse, "select table_code, code_kind, code, label_zh, label_en, template_versions"
                                   " from labels")
    by_key = {(t, k, c): (zh, en, v) for t, k, c, zh, en, v in rows if k not in ("item", "metric")}
    for key, label in _first_labels().items():
        assert by_key[key][0] == label, key
    assert all(en for *_, en, _ in rows), "every label has an English label"
    versions = {(c, zh): v for t, k, c, zh, en, v in rows if k in ("item", "metric")}
    assert versions[("normative_docs", "规范性文件")] == ["2019"]
    assert versions[("normative_docs", "行政规范性文件")] == ["2021"]
    assert versions[("rules", "规章")] == ["2019", "2021"]
    assert versions[("fee_amount", "本年收费金额")] == ["2021"]
    assert {c for t, k, c, *_ in rows if k == "outcome" and "2019" not in _} >= {"other_misc"}
    # every code of the fact tables has exactly one label for its template version
    missing = query(sample_warehouse, """
        select f.report_id, f.item_code, f.metric_code, count(i.code), count(m.code)
        from fct_proactive_disclosure f
        left join labels i on i.code_kind = 'item' and i.code = f.item_code
             and list_contains(i.template_versions, f.template_version)
        left join labels m on m.code_kind = 'metric' and m.code = f.metric_code
             and list_contains(m.template_versions, f.template_version)
        group by all having count(i.code) <> 1 or count(m.code) <> 1""")
    assert missing == []
    withheld = query(sample_warehouse, """
        select l.label_zh, l.label_en, sum(a.value) from fct_applications a
        join labels l on l.code_kind = 'outcome' and l.code = a.outcome_code
             and list_contains(l.template_versions, a.template_version)
        where a.outcome_code = 'withheld_inquiry' and a.applicant_code = 'total' group by all""")
    assert withheld == [("属于行政查询事项", "Withheld: administrative inquiry matter", 5)]


def test_division_columns_on_publishers_and_in_the_views(sample_warehouse):
    divisions = ["province_code", "province_name", "prefecture_code", "prefecture_name", "county_code", "county_name"]
    wujin = ("320000", "江苏省", "320400", "常州市", "320412", "武进区")
    cols = ", ".join(divisions)
    assert query(sample_warehouse, f"select {cols} from dim_publishers where publisher_name = '常州市武进区人民政府'"
                 ) == [wujin]
    for view in ("v_application_metrics", "v_dispute_metrics", "v_applicant_mix", "coverage"):
        got = set(query(sample_warehouse, f"select {cols} from {view} where publisher_name = '常州市武进区人民政府'"))
        assert got == {wujin}, view
    names = dict(query(sample_warehouse, "select division_code, division_name from dim_divisions"))
    assert names["320400"] == "常州市" and names["320412"] == "武进区"


def test_every_not_assessable_check_names_its_terms(sample_warehouse):
    rows = query(sample_warehouse, "select check_code, scope, status, reason from dq_check_results")
    assert {r[3] for r in rows if r[2] == "pass"} == {None}
    na = {(c, s): reason for c, s, status, reason in rows if status == "not_assessable"}
    assert na[("app_balance", "column:total")] == "carried_forward is inferred"
    assert na[("app_applicant_sum", "row:carried_forward")].startswith("commercial is inferred; ")
    assert all(re.fullmatch(r"(\w+ is (blank|placeholder|text|missing|inferred))(; \w+ is \w+)*", r)
               for r in na.values())


def test_every_analyst_table_and_view_is_in_parquet_and_reads_back(sample_warehouse):
    out = sample_warehouse.parent / "parquet"
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        main = [r[0] for r in con.execute("select table_name from information_schema.tables"
                                          " where table_schema = 'main' order by 1").fetchall()]
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in main}
        columns = {t: [r[0] for r in con.execute(f"describe {t}").fetchall()] for t in main}
    finally:
        con.close()
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert sorted(r["name"] for r in package["resources"]) == main
    assert {"ingest_errors", "report_history", "report_aliases", "unmapped_rows"} <= set(package["x-empty-datasets"])
    for table in main:
        files = sorted((out / table).rglob("*.parquet"))
        assert files, table
        if counts[table] == 0:
            assert [f.name for f in files] == [f"{table}.parquet"], table  # one file with the schema
        pattern = str(out / table / "**" / "*.parquet")
        n = duckdb.sql(f"select count(*) from read_parquet('{pattern}', hive_partitioning = true)").fetchone()[0]
        frame = pl.read_parquet(pattern, hive_partitioning=True)
        assert n == frame.height == counts[table], table
        assert set(columns[table]) <= set(frame.columns), table
    frame = pl.read_parquet(str(out / "fct_applications" / "**" / "*.parquet"), hive_partitioning=True)
    assert frame.schema["value"] == pl.Int64
    money = pl.read_parquet(str(out / "fct_proactive_disclosure" / "**" / "*.parquet"), hive_partitioning=True)
    assert money.schema["amount"] == pl.Decimal(38, 6)
    empty = pl.read_parquet(str(out / "ingest_errors" / "**" / "*.parquet"), hive_partitioning=True)
    assert empty.height == 0 and "error_code" in empty.columns


def test_the_export_is_stamped_and_a_plain_ingest_says_the_parquet_is_stale(tmp_path, prefect_harness):
    db, out = tmp_path / "wh" / "xxgk.duckdb", tmp_path / "parquet"
    first = xxgk("ingest", SAMPLES, "--db", db, "--export", out)
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"parquet: current (exported to {out} at " in first.stdout
    built = query(db, "select build_id from meta.build_info")[0][0]
    assert query(db, "select out_dir, build_id, datasets from meta.export_log") == [(str(out), built, 20)]
    assert json.loads((out / "datapackage.json").read_text(encoding="utf-8"))["x-build-id"] == built
    again = xxgk("ingest", SAMPLES, "--db", db)  # nothing new, but a new build: the Parquet is not from it
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"parquet: STALE: last exported to {out} at " in again.stdout and f"from build {built}" in again.stdout
    assert f"(run `xxgk export --out {out}`)" in again.stdout
    assert "parquet: STALE" in xxgk("summary", "--db", db, prefect=False).stdout
    assert xxgk("export", "--db", db, "--out", out, prefect=False).returncode == 0
    assert "parquet: current" in xxgk("summary", "--db", db, prefect=False).stdout
    assert len(query(db, "select * from meta.export_log")) == 2  # the rebuild carried the first stamp over


@pytest.fixture(scope="module")
def failing_warehouse(tmp_path_factory, prefect_harness) -> Path:
    """The samples plus a copy of seed 000 whose first new_received number was changed: its identities fail."""
    folder = tmp_path_factory.mktemp("failing")
    inputs = folder / "in"
    shutil.copytree(SAMPLES, inputs)
    text = SEED_000.read_text(encoding="utf-8")
    head, _, tail = text.partition("\t190\n")
    (inputs / "broken_000.txt").write_text(head + "\t191\n" + tail, encoding="utf-8")
    db = folder / "xxgk.duckdb"
    done = xxgk("ingest", inputs, "--db", db)
    assert done.returncode == 0, done.stderr[-2000:]
    return db


def test_check_groups_by_check_and_status_and_fails_ci_on_request(failing_warehouse, sample_warehouse):
    db = failing_warehouse
    summary = xxgk("check", "--db", db, prefect=False)
    assert summary.returncode == 0
    lines = summary.stdout.splitlines()
    assert len(lines) < 25, summary.stdout  # grouped: a line per check, not one per scope
    grouped: dict[str, list[str]] = {}
    for line in lines:  # the first table: check_code, severity, pass, fail, not_assessable, reports
        if line.startswith(("app_", "rl_", "narr")):
            grouped.setdefault(line.split()[0], line.split()[1:])
    assert grouped["app_balance"][0] == "error" and int(grouped["app_balance"][2]) >= 1  # a fail counted
    assert "checks fail: `xxgk check --failing` lists them" in summary.stdout
    failing = xxgk("check", "--db", db, "--failing", prefect=False).stdout
    assert "app_balance" in failing and "column:natural_person" in failing and "(off by" in failing
    assert "not_assessable  " not in failing.split("failing checks:")[1]
    ci = xxgk("check", "--db", db, "--fail-on", "error", prefect=False)
    assert ci.returncode == 1 and "checks of severity error or above fail" in ci.stderr
    assert xxgk("check", "--db", sample_warehouse, "--fail-on", "error", prefect=False).returncode == 0
    broken_uri = (failing_warehouse.parent / "in" / "broken_000.txt").resolve().as_uri()
    for given in (broken_uri, str(failing_warehouse.parent / "in" / "broken_000.txt")):
        one = xxgk("check", "--db", db, "--report", given, "--fail-on", "error", prefect=False)
        assert one.returncode == 1 and "checks of this report:" in one.stdout and "(inconsistent)" in one.stdout
    seed3 = xxgk("check", "--db", sample_warehouse, "--report", SEED_003.resolve().as_uri(), prefect=False)
    assert seed3.returncode == 0 and "carried_forward is inferred" in seed3.stdout
    report_id = query(sample_warehouse, "select report_id from dim_reports where source_uri = ?",
                      [SEED_003.resolve().as_uri()])[0][0]
    assert "carried_forward is inferred" in xxgk("check", "--db", sample_warehouse, "--report", report_id,
                                                  prefect=False).stdout
    unknown = xxgk("check", "--db", db, "--report", "nope", prefect=False)
    assert unknown.returncode == 2 and "no report 'nope'" in unknown.stderr


def test_show_prints_every_cell_with_raw_text_status_note_and_locator(sample_warehouse):
    done = xxgk("show", SEED_003, "--db", sample_warehouse, prefect=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "publisher_name    下城区" in out and "status            partial" in out
    assert "applications: 三、收到和处理政府信息公开申请情况（表三） (161 cells)" in out
    rows = [line.split() for line in out.splitlines()]
    new = next(r for r in rows if r[:4] == ["本年新收政府信息公开申请数量", "new_received", "natural_person", "自然人"])
    assert new[4:] == ["117", "117", "reported", "line", "113"]
    inferred = [line for line in out.splitlines() if " inferred " in line and not line.startswith("status_reason")]
    assert len(inferred) == 7 and all("line" in line for line in inferred)
    assert any("app_balance" in line for line in inferred)  # the note names the identity
    money = next(line for line in out.splitlines() if "procurement_amount" in line)
    assert "202529227.9 元" in money and "202529227.9元" in money


def _on_terminal(args: list[str], timeout: float = 300) -> tuple[int, str]:
    """Run ``xxgk ARGS`` with a pseudo-terminal as stdout and stderr; returns (exit code, everything shown)."""
    master, slave = pty.openpty()
    env = cli_env() | {"TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40"}
    proc = subprocess.Popen([str(XXGK), *args], stdout=slave, stderr=slave, stdin=subprocess.DEVNULL,
                            env=env, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar_and_rich_tables_a_log_gets_plain_lines(tmp_path, sample_warehouse):
    db = tmp_path / "wh" / "xxgk.duckdb"
    code, shown = _on_terminal(["ingest", str(SAMPLES), "--db", str(db)])
    assert code == 0, shown[-2000:]
    assert "\x1b[" in shown and "━" in shown  # a drawn bar
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert re.search(r"ingest ━+ 5/5 [\d.]+ files/s elapsed \d:\d\d:\d\d ETA \d:\d\d:\d\d", text), text[-3000:]
    code, table = _on_terminal(["check", "--db", str(sample_warehouse)])
    assert code == 0 and "┃" in table and "check_code" in table  # rich's table
    logged = xxgk("ingest", SAMPLES, "--db", db)
    assert "\x1b[" not in logged.stderr + logged.stdout and "━" not in logged.stderr
    assert "batch 1/1: 0 read, 5 unchanged" in logged.stderr
    plain = xxgk("check", "--db", sample_warehouse, prefect=False).stdout
    assert "┃" not in plain and plain.splitlines()[1].split() == ["check_code", "severity", "pass", "fail",
                                                                  "not_assessable", "reports_not_pass"]
