"""The staging database: what ingest has read, one current version per report (single writer).

Extraction workers never open this file; they return ``ReportRecords`` and the flow's one
writer loads a whole batch in a single transaction. The published warehouse is rebuilt from it
(xxgk/build.py). Rows of a report are replaced only when its bytes (or the extractor) changed;
the version it replaces goes to ``raw_report_history``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

from xxgk.batch import ExtractedBatch, to_batch
from xxgk.records import PER_REPORT, SCHEMA, ReportRecords

_DUCK_TYPES = {pl.Utf8: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Float64: "DOUBLE"}


def staging_path(db: Path) -> Path:
    """The staging file that belongs to a warehouse file: warehouse/xxgk.duckdb → warehouse/xxgk.staging.duckdb."""
    return db.with_name(db.stem + ".staging.duckdb")


def memory_limit(variable: str = "XXGK_DUCKDB_MEMORY_LIMIT", default: str = "1GB") -> str:
    """A DuckDB memory cap from the environment: the build (XXGK_DUCKDB_MEMORY_LIMIT, 1GB) spills to
    disk past it; the staging writer, which only appends, needs little (XXGK_STAGING_MEMORY_LIMIT, 256MB)."""
    value = (os.environ.get(variable) or default).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B?", value, re.I):
        raise ValueError(f"{variable}={value!r}: expected a size such as 512MB or 4GB")
    return value


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{memory_limit('XXGK_STAGING_MEMORY_LIMIT', '256MB')}'")
    # a batch is ~20 MB of rows: at DuckDB's 16 MB default every commit checkpointed (300 ms a batch);
    # the write-ahead log holds the committed batches in between and replays after a crash
    con.execute("SET checkpoint_threshold = '256MB'")
    for table, columns in SCHEMA.items():
        cols = ", ".join(f'"{name}" {_DUCK_TYPES[dtype]}' for name, dtype in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
        present = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
        for name, dtype in columns.items():  # a staging file from an older version gains new columns
            if name not in present:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {_DUCK_TYPES[dtype]}')
    con.execute(
        "CREATE TABLE IF NOT EXISTS raw_report_history (report_id VARCHAR, source_uri VARCHAR, sha256 VARCHAR,"
        " fetched_at VARCHAR, ingested_at VARCHAR, superseded_at VARCHAR, status VARCHAR)"
    )
    return con


def known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    """source_uri → (sha256, extractor_version) of what is loaded now."""
    rows = con.execute("SELECT source_uri, sha256, extractor_version FROM raw_reports").fetchall()
    return {uri: (sha, version) for uri, sha, version in rows}


def load_batch(con: duckdb.DuckDBPyConnection, batch: ExtractedBatch | Iterable[ReportRecords]) -> int:
    """Replace the reports of this batch in one transaction; returns how many were written.

    Rows of earlier versions are deleted only for reports staging already holds, so a first load
    of 100,000 reports never scans the growing per-report tables.
    """
    if not isinstance(batch, ExtractedBatch):
        batch = to_batch(batch)
    if not batch.n_reports:
        return 0
    frames = batch.frames
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("batch_reports", frames["raw_reports"])
        con.execute(
            "INSERT INTO raw_report_history SELECT r.report_id, r.source_uri, r.sha256, r.fetched_at,"
            " r.ingested_at, b.ingested_at, r.status FROM raw_reports r JOIN batch_reports b USING (report_id)"
        )
        replaced = con.execute(
            "SELECT count(*) FROM raw_reports WHERE report_id IN (SELECT report_id FROM batch_reports)"
        ).fetchone()[0]
        for table in ["raw_reports", *PER_REPORT]:
            if replaced:
                con.execute(f"DELETE FROM {table} WHERE report_id IN (SELECT report_id FROM batch_reports)")
            con.register("batch_rows", frames[table])
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch_rows")
            con.unregister("batch_rows")
        con.unregister("batch_reports")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return batch.n_reports
