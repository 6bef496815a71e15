"""Parquet exports: one dataset per analyst table and view (schema main), partitioned by report_year.

Every dataset is a folder ``<out>/<name>/``: a table or view with a report year (its own, or its report's)
is written as hive partitions ``report_year=<y>/data_0.parquet`` (``__HIVE_DEFAULT_PARTITION__`` for a
null year); one without (dim_publishers, dim_divisions, labels) as one file ``<name>.parquet``; an empty
one as one file ``<name>.parquet`` holding its schema and no rows, so duckdb and polars read every dataset
back (``read_parquet('<out>/<name>/**/*.parquet', hive_partitioning = true)``). The export is stamped in the
warehouse (``meta.export_log``: when, where, from which build) and in ``datapackage.json``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from xxgk.build import sql_path
from xxgk.dictionary import published_objects, write_datapackage
from xxgk.stamps import record_export

PARTITION = "report_year"


def export_datasets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The datasets an export writes: every table and view of schema main (the analyst's), by name."""
    return sorted(published_objects(con, "main"))


def _select(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, bool]:
    """A SELECT over ``table``, and whether it carries report_year (joined from dim_reports when absent)."""
    columns = published_objects(con, "main")[table][1]
    if PARTITION in columns:
        return f"SELECT * FROM main.{table}", True
    if "report_id" in columns:
        return (f"SELECT t.*, d.report_year FROM main.{table} t "
                f"LEFT JOIN main.dim_reports d ON d.report_id = t.report_id"), True
    return f"SELECT * FROM main.{table}", False


def _write(con: duckdb.DuckDBPyConnection, select: str, target: Path, partitioned: bool, rows: int) -> None:
    target.mkdir()
    if partitioned and rows:
        con.execute(f"COPY ({select}) TO {sql_path(target)} "
                    f"(FORMAT parquet, PARTITION_BY ({PARTITION}), OVERWRITE_OR_IGNORE, WRITE_PARTITION_COLUMNS)")
    else:  # one file; with no rows it still holds the schema
        con.execute(f"COPY ({select}) TO {sql_path(target / (target.name + '.parquet'))} (FORMAT parquet)")


def export_parquet(db: Path, out: Path, tables: tuple[str, ...] | None = None) -> dict[str, int]:
    """Write every analyst table and view under ``out/<name>/``, swap the folder in and stamp the export in
    the warehouse; returns row counts per dataset."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.export-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        present = export_datasets(con)
        for table in tables or present:
            if table not in present:
                continue
            select, partitioned = _select(con, table)
            counts[table] = con.execute(f"SELECT count(*) FROM ({select})").fetchone()[0]
            _write(con, select, tmp / table, partitioned, counts[table])
        try:
            build_id = con.execute("SELECT build_id FROM meta.build_info").fetchone()[0]
        except duckdb.CatalogException:
            build_id = None
    finally:
        con.close()
    write_datapackage(tmp, build_id=build_id)  # Frictionless descriptor, swapped in with the files it describes
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    record_export(Path(db), out, len(counts), sum(counts.values()))
    return counts
