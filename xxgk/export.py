"""Parquet exports: one dataset per analyst table and view (schema main), partitioned by report_year.

Every dataset is a folder ``<out>/<name>/``: a table or view with a report year (its own, or its
report's) is written as hive partitions ``report_year=<y>/data_0.parquet``
(``__HIVE_DEFAULT_PARTITION__`` for a null year); one without (dim_publishers, dim_divisions, labels)
as one file ``<name>.parquet``; an empty one as one file ``<name>.parquet`` holding its schema and no
rows, so duckdb and polars read every dataset back
(``read_parquet('<out>/<name>/**/*.parquet', hive_partitioning = true)``). The export is stamped in
the warehouse (``meta.export_log``: when, where, from which build) and in ``datapackage.json``.

The export writes only what it owns. A folder that does not exist is created; in a folder that
exists, the export replaces only the datasets (``<name>/``) and the ``datapackage.json`` it wrote
there before, as its manifest ``.xxgk-export.json`` lists them, and touches nothing else. A folder
holding something of the same name that the export did not write is refused (``ExportError``), as
are the warehouse's own folder (its databases live there), a folder that contains the warehouse,
and a path that is a file. Each dataset is written into a temporary folder inside the target and
renamed into place; a killed export leaves at most its own temporary folders, removed by the next
export (they are named for the process that made them).

After an incremental build, a nightly's export need not rewrite millions of unchanged rows: when the folder
holds the export of the build the incremental one started from (the warehouse's export log and the folder's
``datapackage.json`` both say so), each per-report table (an ``-- incremental`` model) gets only the
partitions of the report years the build changed rewritten, old and new year of every affected report
(``meta.build_info.changed_years``); its other partitions stay as they are. Every other dataset is written
whole, and any other case is a full export.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from xxgk.build import load_models, sql_path
from xxgk.dictionary import DATAPACKAGE_NAME, load_dictionary, published_objects, write_datapackage
from xxgk.sources_local import as_path
from xxgk.stamps import record_export

PARTITION = "report_year"
MANIFEST = ".xxgk-export.json"
_TMP_PREFIX = ".xxgk-export-tmp-"
_OLD_PREFIX = ".xxgk-export-old-"
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # the folder DuckDB writes a null report_year into


class ExportError(Exception):
    """An export target the export refuses to write into (nothing was written or deleted)."""


def export_datasets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The datasets an export writes: every table and view of schema main (the analyst's), by name."""
    return sorted(published_objects(con, "main"))


def documented_datasets() -> list[str]:
    """The datasets a warehouse publishes, as the data dictionary lists them (before any warehouse exists)."""
    return sorted(name for name, doc in load_dictionary().tables.items() if doc.schema == "main")


def _manifest_is_ours(out: Path) -> bool:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("tool") == "xxgk"
    except (OSError, ValueError, AttributeError):
        return False


def owned_entries(out: Path, names: list[str]) -> set[str]:
    """What an earlier export wrote into ``out``: its manifest's entries (or, for a folder exported before
    manifests existed, our datasets next to our ``datapackage.json``)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("tool") == "xxgk":
            return {str(e) for e in manifest.get("entries", [])}
    except (OSError, ValueError, AttributeError):
        pass
    try:
        package = json.loads((out / DATAPACKAGE_NAME).read_text(encoding="utf-8"))
        if isinstance(package, dict) and package.get("name") == "xxgk":
            return {t for t in names if (out / t).is_dir()} | {DATAPACKAGE_NAME}
    except (OSError, ValueError):
        pass
    return set()


def check_export_target(db: Path, out: Path | str, names: list[str] | None = None) -> Path:
    """The export folder ``out`` resolved, or ``ExportError`` saying why the export will not write there."""
    out = as_path(out)
    names = names if names is not None else documented_datasets()
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
        owned = owned_entries(target, names)
        foreign = [name for name in (*names, DATAPACKAGE_NAME) if name not in owned and (target / name).exists()]
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


def _select(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, bool]:
    """A SELECT over ``table``, and whether it carries report_year (joined from dim_reports when absent)."""
    columns = published_objects(con, "main")[table][1]
    if PARTITION in columns:
        return f"SELECT * FROM main.{table}", True
    if "report_id" in columns:
        return (f"SELECT t.*, d.report_year FROM main.{table} t "
                f"LEFT JOIN main.dim_reports d ON d.report_id = t.report_id"), True
    return f"SELECT * FROM main.{table}", False


def _write(con: duckdb.DuckDBPyConnection, select: str, target: Path, partitioned: bool) -> int:
    """Write the rows of ``select`` under ``target``; returns how many (COPY counts them: the query runs once)."""
    target.mkdir()
    if partitioned:
        rows = _copy_partitioned(con, select, target)
        if rows:
            return rows
        shutil.rmtree(target)  # no rows: whatever COPY left is nothing a reader could open; one file instead
        target.mkdir()
    # one file; with no rows it still holds the schema
    return con.execute(f"COPY ({select}) TO {sql_path(target / (target.name + '.parquet'))} (FORMAT parquet)"
                       ).fetchone()[0]


def _partition_name(year: int | None) -> str:
    return f"{PARTITION}={year if year is not None else _NULL_PARTITION}"


def changed_partitions(con: duckdb.DuckDBPyConnection, out: Path, names: list[str]) -> dict[str, list]:
    """The datasets whose changed years alone need writing, and those years: when this warehouse is an
    incremental build (``meta.build_info`` names its base build and the years it changed) and the last export
    into ``out`` was of that base build (the warehouse's export log and the folder's datapackage.json agree),
    each per-report table (``-- incremental`` model) already exported there in partitions gets only the
    changed years rewritten. Empty otherwise: every dataset is written whole."""
    try:
        base, years = con.execute("SELECT base_build_id, changed_years FROM meta.build_info").fetchone()
        last = con.execute("SELECT build_id FROM meta.export_log WHERE out_dir = ? ORDER BY exported_at DESC "
                           "LIMIT 1", [str(out)]).fetchone()
    except (duckdb.CatalogException, duckdb.BinderException, TypeError):
        return {}
    if base is None or last is None or last[0] != base or _exported_build(out) != base:
        return {}
    per_report = {m.name for m in load_models() if m.incremental and not m.is_view}
    return {name: json.loads(years) for name in names if name in per_report and (out / name).is_dir()
            and not (out / name / f"{name}.parquet").exists()}


def _exported_build(out: Path) -> str | None:
    """The build the Parquet in ``out`` was written from, as its ``datapackage.json`` says."""
    try:
        return json.loads((out / DATAPACKAGE_NAME).read_text(encoding="utf-8")).get("x-build-id")
    except (OSError, ValueError, AttributeError):
        return None


def _write_years(con: duckdb.DuckDBPyConnection, table: str, select: str, target: Path, years: list) -> int:
    """The rows of ``select`` (over ``table``, a row each) in ``years`` as partitions under ``target``; returns
    the dataset's whole row count (0: the dataset is empty now and is written whole instead)."""
    rows = con.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
    target.mkdir()
    wanted = [str(int(y)) for y in years if y is not None]  # years from the warehouse, integers
    conditions = [f"{PARTITION} IN ({', '.join(wanted)})"] if wanted else []
    if None in years:
        conditions.append(f"{PARTITION} IS NULL")
    if rows and conditions:
        _copy_partitioned(con, f"SELECT * FROM ({select}) WHERE {' OR '.join(conditions)}", target)
    return rows


def _copy_partitioned(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> int:
    """The rows of ``select`` as hive partitions by report year under ``target``; returns how many."""
    return con.execute(f"COPY ({select}) TO {sql_path(target)} (FORMAT parquet, PARTITION_BY ({PARTITION}), "
                       "OVERWRITE_OR_IGNORE, WRITE_PARTITION_COLUMNS)").fetchone()[0]


def export_parquet(db: Path, out: Path | str, tables: tuple[str, ...] | None = None) -> dict[str, int]:
    """Write every analyst table and view (or ``tables``) under ``out/<name>/``, replacing only what an earlier
    export wrote there (see the module docstring), and stamp the export in the warehouse; returns row counts.
    After an incremental build, the per-report tables get only their changed years' partitions rewritten
    when ``out`` holds the export of the build it started from (``changed_partitions``)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        present = export_datasets(con)
    finally:
        con.close()
    names = [t for t in (tables or present) if t in present]
    out = check_export_target(Path(db), out, names)
    owned = owned_entries(out, names) if out.is_dir() else set()
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    tmp, old = out / f"{_TMP_PREFIX}{os.getpid()}", out / f"{_OLD_PREFIX}{os.getpid()}"
    counts: dict[str, int] = {}
    by_years: dict[str, list] = {}  # the datasets written only for these years
    try:
        tmp.mkdir()
        con = duckdb.connect(str(db), read_only=True)
        try:
            con.execute("SET enable_progress_bar = false")
            partial = changed_partitions(con, out, names) if tables is None else {}
            for table in names:
                select, partitioned = _select(con, table)
                if table in partial and partitioned:
                    counts[table] = _write_years(con, table, select, tmp / table, partial[table])
                    if counts[table]:
                        by_years[table] = partial[table]
                        continue
                    shutil.rmtree(tmp / table)
                counts[table] = _write(con, select, tmp / table, partitioned)
            try:
                build_id = con.execute("SELECT build_id FROM meta.build_info").fetchone()[0]
            except duckdb.CatalogException:
                build_id = None
        finally:
            con.close()
        written = [*counts, DATAPACKAGE_NAME]
        entries = sorted(set(written) | (owned - set(written)))
        old.mkdir()
        for name in counts:
            if name in by_years:  # the changed years' partitions moved aside and replaced, the others kept
                (old / name).mkdir()
                for part in map(_partition_name, by_years[name]):
                    if (out / name / part).exists():
                        (out / name / part).rename(old / name / part)
                    if (tmp / name / part).exists():
                        (tmp / name / part).rename(out / name / part)
                continue
            if (out / name).exists():  # ours (checked above): moved aside, then replaced
                (out / name).rename(old / name)
            (tmp / name).rename(out / name)
        # the datasets written now as they lie in the folder (a partly written one: its kept years too)
        write_datapackage(out, build_id=build_id, datasets=list(counts), target=tmp / DATAPACKAGE_NAME)
        (tmp / DATAPACKAGE_NAME).replace(out / DATAPACKAGE_NAME)
        manifest = tmp / MANIFEST
        manifest.write_text(json.dumps({"tool": "xxgk", "entries": entries}, indent=2) + "\n", encoding="utf-8")
        manifest.replace(out / MANIFEST)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    record_export(Path(db), out, len(counts), sum(counts.values()))
    return counts
