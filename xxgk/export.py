"""Parquet exports: one dataset per published table, partitioned by report_year.

The export writes only what it owns. A folder that does not exist is created; in a folder that
exists, the export replaces only the datasets (``<table>/``) and the ``datapackage.json`` it wrote
there before, as its manifest ``.xxgk-export.json`` lists them, and touches nothing else. A folder
holding something of the same name that the export did not write is refused (``ExportError``), as
are the warehouse's own folder (its databases live there), a folder that contains the warehouse,
and a path that is a file. Each dataset is written into a temporary folder inside the target and
renamed into place; a killed export leaves at most its own temporary folders, removed by the next
export (they are named for the process that made them).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from xxgk.build import sql_path
from xxgk.dictionary import DATAPACKAGE_NAME, write_datapackage
from xxgk.sources_local import as_path

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
MANIFEST = ".xxgk-export.json"
_TMP_PREFIX = ".xxgk-export-tmp-"
_OLD_PREFIX = ".xxgk-export-old-"


class ExportError(Exception):
    """An export target the export refuses to write into (nothing was written or deleted)."""


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


def _manifest_is_ours(out: Path) -> bool:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("tool") == "xxgk"
    except (OSError, ValueError, AttributeError):
        return False


def owned_entries(out: Path) -> set[str]:
    """What an earlier export wrote into ``out``: its manifest's entries (or, for a folder exported before
    manifests existed, our datasets next to our ``datapackage.json``)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("tool") == "xxgk":
            return {str(e) for e in manifest.get("entries", []) if str(e) in (*EXPORT_TABLES, DATAPACKAGE_NAME)}
    except (OSError, ValueError, AttributeError):
        pass
    try:
        package = json.loads((out / DATAPACKAGE_NAME).read_text(encoding="utf-8"))
        if isinstance(package, dict) and package.get("name") == "xxgk":
            return {t for t in EXPORT_TABLES if (out / t).is_dir()} | {DATAPACKAGE_NAME}
    except (OSError, ValueError):
        pass
    return set()


def check_export_target(db: Path, out: Path | str, tables: tuple[str, ...] = EXPORT_TABLES) -> Path:
    """The export folder ``out`` resolved, or ``ExportError`` saying why the export will not write there."""
    out = as_path(out)
    target = out.resolve()
    home = Path(db).resolve().parent
    if target == home:
        raise ExportError(f"{out} is the warehouse's own folder (its databases live there): export into a "
                          "folder of its own, such as the default warehouse/parquet")
    if target in home.parents:
        raise ExportError(f"{out} contains the warehouse ({home}): export into a folder of its own")
    if target.exists() and not target.is_dir():
        raise ExportError(f"{out} exists and is not a folder")
    if target.is_dir():
        owned = owned_entries(target)
        foreign = [name for name in (*tables, DATAPACKAGE_NAME) if name not in owned and (target / name).exists()]
        if (target / MANIFEST).exists() and not _manifest_is_ours(target):
            foreign.append(MANIFEST)
        if foreign:
            raise ExportError(f"{out} holds {', '.join(foreign)}, which no earlier export of xxgk wrote there: "
                              "nothing was written or deleted; choose a new or empty folder")
    return target


def _remove_stale(out: Path) -> None:
    """Temporary folders of exports that were killed (their process is gone)."""
    for stale in out.glob(".xxgk-export-*-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if stale.name.startswith((_TMP_PREFIX, _OLD_PREFIX)) and pid.isdigit() and \
                not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)


def export_parquet(db: Path, out: Path | str, tables: tuple[str, ...] = EXPORT_TABLES) -> dict[str, int]:
    """Write every table under ``out/<table>/report_year=<y>/``, replacing only what an earlier export
    wrote there (see the module docstring); returns row counts."""
    out = check_export_target(Path(db), out, tables)
    owned = owned_entries(out) if out.is_dir() else set()
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    tmp, old = out / f"{_TMP_PREFIX}{os.getpid()}", out / f"{_OLD_PREFIX}{os.getpid()}"
    counts: dict[str, int] = {}
    try:
        tmp.mkdir()
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
        write_datapackage(tmp)  # describes the datasets written here, not whatever else the folder holds
        written = [*counts, DATAPACKAGE_NAME]
        entries = sorted(set(written) | {e for e in owned if e in EXPORT_TABLES and e not in tables})
        old.mkdir()
        for name in written:
            if (out / name).exists():  # ours (checked above): moved aside, then replaced
                (out / name).rename(old / name)
            (tmp / name).rename(out / name)
        manifest = tmp / MANIFEST
        manifest.write_text(json.dumps({"tool": "xxgk", "entries": entries}, indent=2) + "\n", encoding="utf-8")
        manifest.replace(out / MANIFEST)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return counts
