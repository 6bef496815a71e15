"""The staging database: what ingest has read, one current version per report (single writer).

Extraction workers never open this file; they return ``ReportRecords`` and the flow's one
writer loads a whole batch in a single transaction. The published warehouse is rebuilt from it
(xxgk/build.py). Rows of a report are replaced only when its bytes (or the extractor) changed;
the version it replaces goes to ``raw_report_history``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

from xxgk.crawler import CRAWL_SCHEMA
from xxgk.process import ReportRecords

SCHEMA = {
    "raw_reports": {
        "report_id": pl.Utf8, "source_uri": pl.Utf8, "sha256": pl.Utf8, "byte_size": pl.Int64,
        "fetched_at": pl.Utf8, "ingested_at": pl.Utf8, "extractor_version": pl.Utf8, "publisher_hint": pl.Utf8,
        "source_format": pl.Utf8, "layout": pl.Utf8, "publisher_name": pl.Utf8, "publisher_method": pl.Utf8,
        "publisher_confidence": pl.Float64, "report_year": pl.Int32, "year_method": pl.Utf8, "title": pl.Utf8,
        "template_version": pl.Utf8, "proactive_template": pl.Utf8, "applications_template": pl.Utf8,
        "n_tables": pl.Int32, "n_facts": pl.Int32, "n_missing": pl.Int32, "warnings": pl.Utf8,
        "status": pl.Utf8, "status_reason": pl.Utf8,
        "publisher_key": pl.Utf8, "publisher_normalized": pl.Utf8, "publisher_kind": pl.Utf8,
        "province_name": pl.Utf8, "province_code": pl.Utf8, "city_name": pl.Utf8, "city_code": pl.Utf8,
        "county_name": pl.Utf8, "county_code": pl.Utf8, "division_code": pl.Utf8, "publisher_status": pl.Utf8,
        "publisher_reason": pl.Utf8, "publisher_resolution_confidence": pl.Float64,
    },
    "raw_facts": {
        "report_id": pl.Utf8, "table_code": pl.Utf8, "row_code": pl.Utf8, "col_code": pl.Utf8,
        "template_version": pl.Utf8, "value": pl.Float64, "value_status": pl.Utf8, "raw_text": pl.Utf8,
        "unit": pl.Utf8, "amount_yuan": pl.Utf8, "article_code": pl.Utf8, "outcome_group": pl.Utf8,
        "locator": pl.Utf8, "label_text": pl.Utf8, "note": pl.Utf8,
    },
    "raw_cells": {
        "report_id": pl.Utf8, "table_index": pl.Int32, "row_index": pl.Int32, "col_index": pl.Int32,
        "row_span": pl.Int32, "col_span": pl.Int32, "text": pl.Utf8, "locator": pl.Utf8,
    },
    "raw_sections": {
        "report_id": pl.Utf8, "section_order": pl.Int32, "section_code": pl.Utf8, "heading": pl.Utf8,
        "text": pl.Utf8,
    },
    "raw_unmapped": {
        "report_id": pl.Utf8, "table_code": pl.Utf8, "label_text": pl.Utf8, "values": pl.Utf8,
        "locator": pl.Utf8, "reason": pl.Utf8,
    },
    "raw_claims": {
        "report_id": pl.Utf8, "claim_code": pl.Utf8, "value": pl.Float64, "snippet": pl.Utf8,
    },
    "raw_errors": {
        "report_id": pl.Utf8, "source_uri": pl.Utf8, "sha256": pl.Utf8, "stage": pl.Utf8,
        "error_code": pl.Utf8, "message": pl.Utf8, "occurred_at": pl.Utf8,
    },
}
_DUCK_TYPES = {pl.Utf8: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Float64: "DOUBLE"}
_PER_REPORT = ["raw_facts", "raw_cells", "raw_sections", "raw_unmapped", "raw_claims", "raw_errors"]


def staging_path(db: Path) -> Path:
    """The staging file that belongs to a warehouse file: warehouse/xxgk.duckdb → warehouse/xxgk.staging.duckdb."""
    return db.with_name(db.stem + ".staging.duckdb")


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    for table, columns in SCHEMA.items():
        cols = ", ".join(f'"{name}" {_DUCK_TYPES[dtype]}' for name, dtype in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
        present = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
        for name, dtype in columns.items():  # a staging file from an older version gains new columns
            if name not in present:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {_DUCK_TYPES[dtype]}')
    for statement in CRAWL_SCHEMA:  # the crawler's fetch log lives here too, so the build can publish it
        con.execute(statement)
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw_report_history (report_id VARCHAR, source_uri VARCHAR, sha256 VARCHAR,"
        " fetched_at VARCHAR, ingested_at VARCHAR, superseded_at VARCHAR, status VARCHAR)"
    )
    return con


def known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    """source_uri → (sha256, extractor_version) of what is loaded now."""
    rows = con.execute("SELECT source_uri, sha256, extractor_version FROM raw_reports").fetchall()
    return {uri: (sha, version) for uri, sha, version in rows}


def _frame(table: str, rows: list[dict]) -> pl.DataFrame:
    schema = SCHEMA[table]
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, orient="row")


def load_batch(con: duckdb.DuckDBPyConnection, results: Iterable[ReportRecords]) -> int:
    """Replace the reports of this batch in one transaction; returns how many were written."""
    results = list(results)
    if not results:
        return 0
    frames = {
        "raw_reports": _frame("raw_reports", [r.report for r in results]),
        **{t: _frame(t, [row for r in results for row in getattr(r, t.removeprefix("raw_"))]) for t in _PER_REPORT},
    }
    con.execute("BEGIN TRANSACTION")
    try:
        batch_reports = frames["raw_reports"]  # noqa: F841 - read by DuckDB's replacement scan
        con.register("batch_reports", frames["raw_reports"].to_arrow())
        con.execute(
            "INSERT INTO raw_report_history SELECT r.report_id, r.source_uri, r.sha256, r.fetched_at,"
            " r.ingested_at, b.ingested_at, r.status FROM raw_reports r JOIN batch_reports b USING (report_id)"
        )
        for table in ["raw_reports", *_PER_REPORT]:
            con.execute(f"DELETE FROM {table} WHERE report_id IN (SELECT report_id FROM batch_reports)")
            con.register("batch_rows", frames[table].to_arrow())
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch_rows")
            con.unregister("batch_rows")
        con.unregister("batch_reports")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(results)
