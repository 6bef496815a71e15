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
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from xxgk.batch import ExtractedBatch, to_batch
from xxgk.records import PER_REPORT, SCHEMA, ReportRecords, report_id_for

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
        " fetched_at VARCHAR, ingested_at VARCHAR, superseded_at VARCHAR, status VARCHAR, event VARCHAR)"
    )
    con.execute("ALTER TABLE raw_report_history ADD COLUMN IF NOT EXISTS event VARCHAR")  # older staging files
    con.execute(f"CREATE TABLE IF NOT EXISTS raw_aliases ({ALIAS_COLUMNS})")
    return con


# URIs whose bytes a report already loaded holds, recorded without reading them (xxgk/plan.py)
ALIAS_COLUMNS = ("source_uri VARCHAR, sha256 VARCHAR, byte_size BIGINT, fetched_at VARCHAR, recorded_at VARCHAR,"
                 " publisher_hint VARCHAR")


def known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    """source_uri → (sha256, extractor_version) of what is loaded now."""
    rows = con.execute("SELECT source_uri, sha256, extractor_version FROM raw_reports").fetchall()
    return {uri: (sha, version) for uri, sha, version in rows}


def known_aliases(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """source_uri → sha256 of the aliases whose bytes a loaded report still holds."""
    rows = con.execute("SELECT source_uri, sha256 FROM raw_aliases WHERE sha256 IN (SELECT sha256 FROM raw_reports)"
                       ).fetchall()
    return dict(rows)


def content_holders(con: duckdb.DuckDBPyConnection, extractor_version: str) -> dict[str, tuple[int, list[str]]]:
    """sha256 → (byte size, source URIs) of the reports read from those bytes by ``extractor_version``
    (failed reads too: the same bytes under the same URI are not read again either)."""
    holders: dict[str, tuple[int, list[str]]] = {}
    for sha, size, uri in con.execute(
        "SELECT sha256, byte_size, source_uri FROM raw_reports WHERE sha256 IS NOT NULL"
        " AND extractor_version = ? ORDER BY source_uri", [extractor_version]
    ).fetchall():
        holders.setdefault(sha, (size, []))[1].append(uri)
    return holders


def record_aliases(con: duckdb.DuckDBPyConnection, aliases: list[dict]) -> int:
    """Record URIs whose bytes a loaded report holds (keys: source_uri, sha256, byte_size, fetched_at,
    publisher_hint), replacing what staging held for those URIs; one transaction."""
    if not aliases:
        return 0
    now = _now()
    rows = [[a["source_uri"], a["sha256"], a.get("byte_size"), a.get("fetched_at"), now, a.get("publisher_hint")]
            for a in aliases]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM raw_aliases WHERE source_uri IN (SELECT unnest(?))", [[r[0] for r in rows]])
        con.executemany("INSERT INTO raw_aliases VALUES (?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _promote_orphans(con: duckdb.DuckDBPyConnection, leaving: str, still_held: str) -> list[tuple[str, str]]:
    """Before reports leave (replaced by new bytes, or forgotten), an alias whose bytes nothing else holds
    takes their records over, re-keyed to the alias URI: the copy stays a report, nothing is read again.
    ``leaving`` and ``still_held`` are SQL queries giving the leaving report_ids and the sha256 values that
    stay held (the new bytes of a batch). Returns (leaving source_uri, promoted alias URI) pairs."""
    found = con.execute(f"""
        SELECT r.report_id, r.source_uri, a.source_uri, a.fetched_at, a.publisher_hint
        FROM raw_reports r JOIN raw_aliases a ON a.sha256 = r.sha256
        WHERE r.report_id IN ({leaving}) AND r.sha256 NOT IN ({still_held})
          AND NOT EXISTS (SELECT 1 FROM raw_reports o WHERE o.sha256 = r.sha256 AND o.report_id NOT IN ({leaving}))
        QUALIFY row_number() OVER (PARTITION BY r.sha256 ORDER BY a.recorded_at, a.source_uri, r.report_id) = 1
    """).fetchall()
    for old_id, _old_uri, uri, fetched_at, hint in found:
        new_id = report_id_for(uri)
        con.execute("INSERT INTO raw_reports SELECT * REPLACE (?::VARCHAR AS report_id, ?::VARCHAR AS source_uri,"
                    " ?::VARCHAR AS fetched_at, coalesce(?::VARCHAR, publisher_hint) AS publisher_hint)"
                    " FROM raw_reports WHERE report_id = ?", [new_id, uri, fetched_at, hint, old_id])
        for table in PER_REPORT:
            uri_column = ", ?::VARCHAR AS source_uri" if "source_uri" in SCHEMA[table] else ""
            params = [new_id, uri, old_id] if uri_column else [new_id, old_id]
            con.execute(f"INSERT INTO {table} SELECT * REPLACE (?::VARCHAR AS report_id{uri_column})"
                        f" FROM {table} WHERE report_id = ?", params)
        con.execute("DELETE FROM raw_aliases WHERE source_uri = ?", [uri])
    return [(old_uri, uri) for _id, old_uri, uri, *_ in found]


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
            " r.ingested_at, b.ingested_at, r.status, 'replaced' FROM raw_reports r JOIN batch_reports b"
            " USING (report_id)"
        )
        replaced = con.execute(
            "SELECT count(*) FROM raw_reports WHERE report_id IN (SELECT report_id FROM batch_reports)"
        ).fetchone()[0]
        if con.execute("SELECT count(*) FROM raw_aliases").fetchone()[0]:
            # URIs read in this batch are reports now, not aliases; aliases of replaced bytes keep them
            con.execute("DELETE FROM raw_aliases WHERE source_uri IN (SELECT source_uri FROM batch_reports)")
            if replaced:
                _promote_orphans(con, "SELECT report_id FROM batch_reports",
                                 "SELECT sha256 FROM batch_reports WHERE sha256 IS NOT NULL")
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


def forget(con: duckdb.DuckDBPyConnection, uris: list[str]) -> tuple[list[str], list[str]]:
    """Remove these source URIs (reports or aliases) from staging in one transaction, each leaving a
    ``forgotten`` row in the history; returns (unknown URIs, what was done). Nothing changes when any
    URI is unknown. An alias holding the same bytes as a forgotten report takes its records over
    (``_promote_orphans``): the copy stays, as it would had it been read itself."""
    uris = list(dict.fromkeys(uris))
    reports = dict(con.execute("SELECT source_uri, status FROM raw_reports WHERE source_uri IN (SELECT unnest(?))",
                               [uris]).fetchall())
    aliases = dict(con.execute("SELECT source_uri, sha256 FROM raw_aliases WHERE source_uri IN (SELECT unnest(?))",
                               [uris]).fetchall())
    unknown = [u for u in uris if u not in reports and u not in aliases]
    if unknown or not uris:
        return unknown, []
    done = [f"forgot {u} ({'report, ' + str(reports[u]) if u in reports else 'alias'})" for u in uris]
    now = _now()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE forget_uris AS SELECT unnest(?::VARCHAR[]) AS source_uri", [uris])
        con.execute("INSERT INTO raw_report_history SELECT report_id, source_uri, sha256, fetched_at, ingested_at, ?,"
                    " status, 'forgotten' FROM raw_reports WHERE source_uri IN (SELECT source_uri FROM forget_uris)",
                    [now])
        for uri, sha in aliases.items():
            row = con.execute("SELECT fetched_at, recorded_at FROM raw_aliases WHERE source_uri = ?", [uri]).fetchone()
            con.execute("INSERT INTO raw_report_history VALUES (?, ?, ?, ?, ?, ?, NULL, 'forgotten')",
                        [report_id_for(uri), uri, sha, row[0], row[1], now])
        con.execute("DELETE FROM raw_aliases WHERE source_uri IN (SELECT source_uri FROM forget_uris)")
        leaving = "SELECT report_id FROM raw_reports WHERE source_uri IN (SELECT source_uri FROM forget_uris)"
        leaving_ids = [r[0] for r in con.execute(leaving).fetchall()]
        if leaving_ids:
            con.execute("CREATE OR REPLACE TEMP TABLE forget_ids AS SELECT unnest(?::VARCHAR[]) AS report_id",
                        [leaving_ids])
            for old, new in _promote_orphans(con, "SELECT report_id FROM forget_ids", "SELECT NULL::VARCHAR WHERE false"):
                done.append(f"  {new} held the same bytes as {old}: it is a report of its own now")
            for table in ["raw_reports", *PER_REPORT]:
                con.execute(f"DELETE FROM {table} WHERE report_id IN (SELECT report_id FROM forget_ids)")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return [], done
