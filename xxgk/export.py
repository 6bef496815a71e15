"""Parquet exports: one dataset per published table, partitioned by report_year."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from xxgk.build import sql_path
from xxgk.dictionary import write_datapackage

EXPORT_TABLES = (
    "dim_reports",
    "fct_proactive_disclosure",
    "fct_applications",
    "fct_admin_reviews",
    "fct_litigation",
    "report_sections",
    "dq_check_results",
    "ingest_errors",
    "cells",
    "report_history",
    "unmapped_rows",
    "report_aliases",
)


def _with_year(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A SELECT over ``table`` that carries report_year (joined from dim_reports when absent)."""
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]
    if "report_year" in columns:
        return f"SELECT * FROM {table}"
    if "report_id" in columns:
        return (f"SELECT t.*, d.report_year FROM {table} t "
                f"LEFT JOIN dim_reports d ON d.report_id = t.report_id")
    return f"SELECT *, CAST(NULL AS INTEGER) AS report_year FROM {table}"


def export_parquet(db: Path, out: Path, tables: tuple[str, ...] = EXPORT_TABLES) -> dict[str, int]:
    """Write every table under ``out/<table>/report_year=<y>/`` and swap the folder in; returns row counts."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.export-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for table in tables:
            if table not in present:
                continue
            select = _with_year(con, table)
            counts[table] = con.execute(f"SELECT count(*) FROM ({select})").fetchone()[0]
            target = tmp / table
            target.mkdir()
            if counts[table]:
                con.execute(
                    f"COPY ({select}) TO {sql_path(target)} "
                    "(FORMAT parquet, PARTITION_BY (report_year), OVERWRITE_OR_IGNORE, WRITE_PARTITION_COLUMNS)"
                )
    finally:
        con.close()
    write_datapackage(tmp)  # Frictionless descriptor, swapped in with the files it describes
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return counts
