"""The data dictionary covers the built warehouse exactly, comments every column, and cannot drift from the docs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import ROOT, SAMPLES
from xxgk import dictionary as dd
from xxgk.build import SQL_DIR, build_warehouse
from xxgk.export import export_parquet
from xxgk.process import process_item
from xxgk.records import SourceItem, source_uri_for
from xxgk.staging import connect, load_batch, staging_path

REGISTRY = ROOT / "transforms" / "registry"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The samples processed, staged and built without the flow, then commented from the dictionary."""
    db = tmp_path_factory.mktemp("dict") / "xxgk.duckdb"
    records = [process_item(SourceItem(source_uri_for(p), str(p))) for p in sorted(SAMPLES.glob("*.txt"))]
    stage = connect(staging_path(db))
    try:
        assert load_batch(stage, [r for r in records if r is not None]) == 5
    finally:
        stage.close()
    build_warehouse(db)
    con = duckdb.connect(str(db))
    try:
        dd.apply_comments(con)
    finally:
        con.close()
    return db


@pytest.fixture(scope="module")
def con(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_every_published_table_and_column_is_described_and_nothing_is_stale(con):
    assert dd.coverage_gaps(con) == {"missing": [], "stale": []}
    schemas = dict(con.execute(
        "select table_name, table_schema from information_schema.tables where table_catalog = current_database()"
    ).fetchall())
    d = dd.load_dictionary()
    assert {name: doc.schema for name, doc in d.tables.items()} == schemas
    assert set(d.schemas) == set(schemas.values()) == {"main", "staging", "checks", "crawl", "meta"}
    assert {name for name, schema in schemas.items() if schema == "main"} >= {
        "dim_divisions", "dim_publishers", "dq_check_results", "labels", "coverage", "v_application_metrics"}
    assert (schemas["stg_facts"], schemas["chk_identities"], schemas["identity_terms"], schemas["facts"],
            schemas["fetch_log"], schemas["export_log"]) == ("staging", "checks", "checks", "checks", "crawl", "meta")


def test_every_sql_model_is_in_the_dictionary():
    models = {p.stem for p in SQL_DIR.glob("*/*.sql")}
    assert models - set(dd.load_dictionary().tables) == set()


def test_apply_comments_leaves_a_comment_on_every_table_and_column(con):
    rows = con.execute("select table_name, column_name, comment from duckdb_columns()"
                       " where database_name = current_database()").fetchall()
    assert len(rows) > 250
    assert [(t, c) for t, c, comment in rows if not comment] == []
    tables = con.execute("select table_name, comment from duckdb_tables()"
                         " where database_name = current_database()").fetchall()
    assert [t for t, comment in tables if not comment] == []
    views = con.execute("select view_name, comment from duckdb_views()"
                        " where database_name = current_database() and not internal").fetchall()
    assert [v for v, comment in views if not comment] == []
    comment = con.execute("select comment from duckdb_columns() where table_name = 'fct_applications'"
                          " and column_name = 'outcome_code'").fetchone()[0]
    assert comment == "Row of table 3 (see code list outcome_code)."
    shared = con.execute("select comment from duckdb_columns() where table_name = 'chk_identities'"
                         " and column_name = 'status'").fetchone()[0]
    assert shared == "Verdict (see code list check_status)."


def test_gaps_are_reported_not_raised_and_views_get_comments():
    source = dd.load_dictionary()
    extra = dd.TableDoc("v_disclosure_rate", "One row per report: it's (granted + partially) / total.",
                        {"report_id": "", "rate": "Share 'released'."})
    d = dd.Dictionary(source.name, source.title, source.description, source.licenses, source.common_columns,
                      {**source.tables, "v_disclosure_rate": extra}, source.codes)
    con = duckdb.connect()
    con.execute("create table undocumented (a integer)")
    con.execute("create table fct_admin_reviews (report_id varchar, surprise integer)")
    con.execute("create view v_disclosure_rate as select 'r1' as report_id, 0.5 as rate, 1 as n")
    assert dd.apply_comments(con, d) == 5  # 2 objects + report_id twice + rate
    comments = dict(((t, c), m) for t, c, m in con.execute(
        "select table_name, column_name, comment from duckdb_columns()").fetchall())
    assert comments[("v_disclosure_rate", "rate")] == "Share 'released'."
    assert comments[("v_disclosure_rate", "report_id")].startswith("Report identity")
    assert comments[("fct_admin_reviews", "surprise")] is None
    view = con.execute("select comment from duckdb_views() where view_name = 'v_disclosure_rate'").fetchone()
    assert view == ("One row per report: it's (granted + partially) / total.",)
    gaps = dd.coverage_gaps(con, d)
    assert gaps["missing"] == ["fct_admin_reviews.surprise", "undocumented", "undocumented.a", "v_disclosure_rate.n"]
    assert "fct_admin_reviews.result_code" in gaps["stale"] and "dim_reports" in gaps["stale"]


def test_sql_string_doubles_quotes():
    assert dd.sql_string("it's 'x'") == "'it''s ''x'''"
    assert duckdb.sql("select " + dd.sql_string("a'';--b")).fetchone() == ("a'';--b",)
    assert dd.sql_identifier('we"ird') == '"we""ird"'


def test_docs_dictionary_is_the_rendered_yaml():
    assert (ROOT / "docs" / "dictionary.md").read_text(encoding="utf-8") == dd.render_markdown()


def test_markdown_has_tables_columns_and_chinese_code_labels():
    md = dd.render_markdown()
    assert "### fct_litigation" in md and "| `path_code` | Litigation path (see code list path_code). |" in md
    assert ("| `withheld_security_stability` | 3.危及“三安全一稳定” | Withheld: endangers security or stability "
            "| `withheld` |") in md
    assert "**Schema `staging`**" in md and "[`staging.stg_facts`](#stg_facts)" in md
    assert "| `s3` | 三、收到和处理政府信息公开申请情况 |" in md
    assert "| `no_tables` | 未找到统计表（仅叙述或表格为图片） |" in md
    assert "direct \\| after_review" in md  # a pipe in a description does not break the table row


def test_main_writes_the_markdown(tmp_path):
    target = tmp_path / "docs" / "dictionary.md"
    assert dd.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == dd.render_markdown()


def test_datapackage_lists_every_exported_dataset_with_its_parquet_schema(warehouse, tmp_path):
    out = tmp_path / "parquet"
    counts = export_parquet(warehouse, out)
    path = dd.write_datapackage(out)
    package = json.loads(path.read_text(encoding="utf-8"))
    assert package["name"] == "xxgk" and package["licenses"]
    resources = {r["name"]: r for r in package["resources"]}
    assert set(resources) == set(counts) == {
        name for name, (_, _, schema) in dd.published_objects(duckdb.connect(str(warehouse), read_only=True)).items()
        if schema == "main"}
    assert sorted(package["x-empty-datasets"]) == sorted(t for t, n in counts.items() if not n)
    assert {"ingest_errors", "report_history"} <= set(package["x-empty-datasets"])  # empty, yet a resource
    con = duckdb.connect()
    for name, resource in resources.items():
        files = sorted((out / name).rglob("*.parquet"))
        assert resource["path"] == [f.relative_to(out).as_posix() for f in files]
        assert resource["format"] == "parquet" and resource["description"]
        listing = ", ".join(dd.sql_string(str(f)) for f in files)
        schema = con.execute(f"describe select * from read_parquet([{listing}], hive_partitioning = false)"
                             ).fetchall()
        fields = resource["schema"]["fields"]
        assert [(f["name"], f["type"]) for f in fields] == [(c, dd.frictionless_type(t)) for c, t, *_ in schema]
        assert all(f["description"] for f in fields), name
        total = con.execute(f"select count(*) from read_parquet([{listing}])").fetchone()[0]
        assert total == counts[name]
    apps = {f["name"]: f for f in resources["fct_applications"]["schema"]["fields"]}
    assert apps["value"]["type"] == "integer" and apps["report_year"]["type"] == "integer"
    assert {"value": "total", "label": "总计"} in apps["applicant_code"]["categories"]
    reports = {f["name"]: f for f in resources["dim_reports"]["schema"]["fields"]}
    assert reports["ingested_at"]["type"] == "datetime"
    assert resources["fct_proactive_disclosure"]["schema"]["fields"][8] == {
        "name": "amount_yuan", "type": "number",
        "description": "Money metrics normalised to yuan, exact (null when the unit is unknown or the metric is not "
                       "money)."}
    shutil.rmtree(out)


@pytest.mark.parametrize(("duck", "frictionless"), [
    ("VARCHAR", "string"), ("INTEGER", "integer"), ("BIGINT", "integer"), ("DOUBLE", "number"),
    ("DECIMAL(24,4)", "number"), ("TIMESTAMP WITH TIME ZONE", "datetime"), ("DATE", "date"),
    ("BOOLEAN", "boolean"), ("VARCHAR[]", "array"), ("STRUCT(a INTEGER)", "object"), ("TIME", "time"),
])
def test_frictionless_types(duck, frictionless):
    assert dd.frictionless_type(duck) == frictionless


def _codes(name: str) -> dict[str, str]:
    return {c.code: c.group for c in dd.load_dictionary().codes[name].codes}


def test_code_lists_match_the_template_registry():
    common = yaml.safe_load((REGISTRY / "common.yaml").read_text(encoding="utf-8"))
    versions = [yaml.safe_load((REGISTRY / f"{v}.yaml").read_text(encoding="utf-8")) for v in ("2019", "2021")]
    apps = common["applications"]
    assert _codes("outcome_code") == {r["code"]: r.get("group") for r in apps["rows"]}
    assert set(_codes("outcome_group")) == {r["group"] for r in apps["rows"] if r.get("group")}
    assert list(_codes("applicant_code")) == [c["code"] for c in apps["columns"]]
    assert list(_codes("result_code")) == [r["code"] for r in common["reviews_litigation"]["results"]]
    assert list(_codes("block_code")) == [b["code"] for b in common["reviews_litigation"]["blocks"]]
    assert list(_codes("article_code")) == common["proactive"]["articles"]
    assert set(_codes("item_code")) == {i["code"] for v in versions for i in v["proactive"]["items"]}
    assert set(_codes("metric_code")) == {m for v in versions for m in v["proactive"]["metrics"]}
    assert set(_codes("template_version")) == {"2019", "2021", "pre2019"}


def test_code_lists_match_the_code():
    from common.sections import SECTION_KEYWORDS
    from transforms import publishers
    from transforms.narrative import PATTERNS
    from transforms.registry import load_registry

    assert list(_codes("table_code")) == list(load_registry().table_codes)
    # the identities the registry declares, and the narrative check
    assert set(_codes("check_code")) == {i.name for i in load_registry().identities()} | {"narrative"}
    assert list(_codes("section_code")) == ["preamble", *(f"s{n}" for n in SECTION_KEYWORDS)]
    assert set(_codes("claim_code")) == set(PATTERNS)
    assert set(_codes("publisher_kind")) == {v for k, v in vars(publishers).items() if k.startswith("KIND_")}
    assert set(_codes("resolution_status")) == {v for k, v in vars(publishers).items() if k.startswith("STATUS_")}
    assert list(_codes("report_status")) == ["loaded", "partial", "no_tables", "inconsistent", "unverified",
                                             "not_report", "failed"]
    assert list(_codes("value_status")) == ["reported", "blank", "placeholder", "text", "missing", "inferred", "ocr"]


def test_code_values_in_the_warehouse_are_listed(con):
    d = dd.load_dictionary()
    for table, column in [("fct_applications", "outcome_code"), ("fct_proactive_disclosure", "metric_code"),
                          ("dq_check_results", "check_code"), ("dq_check_results", "status"),
                          ("report_sections", "section_code"), ("dim_reports", "layout"),
                          ("dim_reports", "publisher_method"), ("dim_reports", "year_method"),
                          ("dim_publishers", "kind"), ("fct_litigation", "path_code"), ("staging.stg_claims", "claim_code"),
                          ("labels", "code_kind"), ("labels", "table_code")]:
        listed = {c.code for c in d.code_list_for(table.split(".")[-1], column).codes}
        found = {r[0] for r in con.execute(f"select distinct {column} from {table} where {column} is not null").fetchall()}
        assert found and found <= listed, (table, column, found - listed)
