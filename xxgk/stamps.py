"""Stamps in the warehouse's ``meta`` schema: which build this file is, and where its Parquet was last written.

``meta.build_info`` (one row) is written by every build; ``meta.export_log`` (one row per export) is carried
from the old warehouse into the new one by the build and appended to by every export, so the warehouse
knows whether the Parquet next to it comes from this build (``xxgk summary`` says so when it does not).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

EXPORT_LOG_DDL = (
    "CREATE TABLE IF NOT EXISTS meta.export_log (exported_at TIMESTAMPTZ, out_dir VARCHAR, build_id VARCHAR, "
    "built_at TIMESTAMPTZ, datasets INTEGER, rows_written BIGINT)"
)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def record_build(con: duckdb.DuckDBPyConnection, db: Path, n_reports: int | None = None,
                 inputs_fingerprint: str | None = None, base_build_id: str | None = None,
                 changes: str | None = None) -> str:
    """Write ``meta.build_info`` and ``meta.changed_reports`` into the warehouse being built and carry the old
    warehouse's export log over; returns the new build id. An incremental build names the build it started from
    and, in ``changes`` (a relation of report_id, report_year), the reports whose rows it changed with their old
    and new years: an export of that build can then rewrite only their files."""
    build_id = uuid.uuid4().hex[:16]
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("CREATE OR REPLACE TABLE meta.changed_reports (report_id VARCHAR, report_year INTEGER)")
    changed_years = None
    if base_build_id and changes:
        con.execute(f"INSERT INTO meta.changed_reports SELECT report_id, report_year FROM {changes}")
        changed_years = json.dumps([y for (y,) in con.execute(
            "SELECT DISTINCT report_year FROM meta.changed_reports ORDER BY report_year NULLS LAST").fetchall()])
    con.execute("CREATE TABLE meta.build_info (build_id VARCHAR, built_at TIMESTAMPTZ, warehouse VARCHAR, "
                "n_reports BIGINT, inputs_fingerprint VARCHAR, base_build_id VARCHAR, changed_years VARCHAR)")
    con.execute("INSERT INTO meta.build_info VALUES (?, ?, ?, ?, ?, ?, ?)",
                [build_id, datetime.now(UTC), str(Path(db).resolve()), n_reports, inputs_fingerprint,
                 base_build_id, changed_years])
    con.execute(EXPORT_LOG_DDL)
    old = Path(db)
    if old.exists():
        for attempt in range(5):  # an export stamping the old file holds its lock for milliseconds
            try:
                con.execute(f"ATTACH {_sql_string(str(old))} AS previous (READ_ONLY)")
                break
            except duckdb.Error:
                if attempt == 4:
                    return build_id  # unreadable or locked: the new warehouse starts a fresh log
                time.sleep(0.2)
        try:
            found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' "
                                "AND schema_name = 'meta' AND table_name = 'export_log'").fetchone()[0]
            if found:
                con.execute("INSERT INTO meta.export_log BY NAME SELECT * FROM previous.meta.export_log")
        finally:
            con.execute("DETACH previous")
    return build_id


def record_export(db: Path, out: Path, datasets: int, rows: int, attempts: int = 20) -> bool:
    """Append an export to the warehouse's ``meta.export_log``; False when the file stayed locked by another
    process (the Parquet is written all the same; the stamp is then missing and the summary says stale)."""
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(db))
        except duckdb.ConnectionException:  # this process holds it open read-only: no write from here
            return False
        except duckdb.IOException:
            if attempt == attempts - 1:
                return False
            time.sleep(0.25)
            continue
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS meta")
            con.execute(EXPORT_LOG_DDL)
            info = _build_info(con)
            con.execute("INSERT INTO meta.export_log VALUES (?, ?, ?, ?, ?, ?)",
                        [datetime.now(UTC), str(Path(out).resolve()), info[0] if info else None,
                         info[1] if info else None, datasets, rows])
            return True
        finally:
            con.close()
    return False


def _build_info(con: duckdb.DuckDBPyConnection) -> tuple | None:
    try:
        return con.execute("SELECT build_id, built_at FROM meta.build_info").fetchone()
    except duckdb.CatalogException:
        return None


@dataclass(frozen=True)
class ExportState:
    build_id: str | None
    built_at: datetime | None
    exported_at: datetime | None  # the last export of this build (None: never exported from it)
    out_dir: str | None
    last_exported_at: datetime | None  # the last export of any build
    last_out_dir: str | None
    last_build_id: str | None

    @property
    def stale(self) -> bool:
        return self.exported_at is None

    def describe(self) -> str:
        if not self.stale:
            return f"parquet: current (exported to {self.out_dir} at {_when(self.exported_at)} from this build)"
        if self.last_exported_at is None:
            return "parquet: never exported from this warehouse (run `xxgk export`)"
        return (f"parquet: STALE: last exported to {self.last_out_dir} at {_when(self.last_exported_at)} from build "
                f"{self.last_build_id}; this warehouse is build {self.build_id} of {_when(self.built_at)} "
                f"(run `xxgk export --out {self.last_out_dir}`)")


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "?"


def export_state(con: duckdb.DuckDBPyConnection) -> ExportState:
    """Whether the Parquet was written from the build this warehouse is."""
    info = _build_info(con) or (None, None)
    try:
        rows = con.execute("SELECT exported_at, out_dir, build_id FROM meta.export_log ORDER BY exported_at DESC"
                           ).fetchall()
    except duckdb.CatalogException:
        rows = []
    mine = next((r for r in rows if info[0] is not None and r[2] == info[0]), None)
    last = rows[0] if rows else (None, None, None)
    return ExportState(info[0], info[1], mine[0] if mine else None, mine[1] if mine else None, *last)
