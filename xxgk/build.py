"""Build the published warehouse from staging with the SQL models, then swap it in atomically.

A model is one ``sql/<layer>/<name>.sql`` file holding one SELECT; the file's leading ``--``
comment says what one row is and becomes the table comment. Models are materialised as tables,
except the analyst views (``v_*``), in dependency order found from the names they mention.
Each model is published in a schema: its layer's (``LAYER_SCHEMAS``) or the one its header names
(``-- schema: NAME``). A model reads another schema's model by its qualified name (``staging.stg_facts``,
``checks.facts``); the analyst tables and views are in ``main`` and read by their bare names.
The build writes a new file beside the warehouse and renames it over the old one: a reader
holding the old file keeps its snapshot, a crash leaves the old warehouse untouched.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, replace
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from xxgk.crawl.state import crawl_state_path, create_tables
from xxgk.dictionary import apply_comments
from xxgk.labels import load_labels
from xxgk.staging import memory_limit, staging_path
from xxgk.stamps import record_build

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("staging", "core", "checks", "marts")
# Where a layer's models are published, unless the file's header says ``-- schema: NAME``: the analyst tables and
# views in the default schema (main); staging and the checks' internals in their own; the crawl log in ``crawl``.
LAYER_SCHEMAS = {"staging": "staging", "core": "main", "checks": "checks", "marts": "main"}
SCHEMAS = ("main", "staging", "checks", "crawl", "meta")
CATALOGS = ("raw", "crawl_state")  # attached read-only while building: staging's file and the crawler's state
# written by the build itself (core layer), not by a model: name -> schema
BUILT_TABLES = {"dim_divisions": "main", "identity_terms": "checks", "labels": "main"}
_QUALIFIED = re.compile(r"\b(" + "|".join(SCHEMAS + CATALOGS) + r")\.([a-z_][a-z0-9_]*)\b")


class ModelError(ValueError):
    """A model that names what does not exist, or another schema's model without its schema."""


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    sql: str
    description: str
    materialized: str = "table"  # table | view (analyst views ``v_*``, or a header line ``-- materialized: view``)
    incremental: str = ""  # ``-- incremental: report_id``: rebuilt per report by an incremental build (xxgk/incremental.py)
    part_reports: int = 0  # ``-- part_reports: N``: a full build makes it N reports at a time (its query's memory)
    depends: frozenset[str] = frozenset()  # the models and sources (raw.*, crawl_state.*, built tables) it reads
    schema: str = "main"

    @property
    def is_view(self) -> bool:
        return self.name.startswith("v_") or self.materialized == "view"

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def clustered(self) -> bool:
        """An exported per-report table: a full build stores it in order of its report key, so the export can
        write it in files per year and report-id bucket without sorting it (xxgk/export.py)."""
        return bool(self.incremental) and self.schema == "main" and not self.is_view

    @property
    def table_sql(self) -> str:
        """The query a full build materialises: the model's, in report order when the table is clustered."""
        return f"SELECT * FROM (\n{self.sql}\n) ORDER BY {self.incremental}" if self.clustered else self.sql


def sql_string(text: str) -> str:
    """A SQL string literal for our own paths and docs (DDL takes no parameters; never used for report text)."""
    return "'" + text.replace("'", "''") + "'"


def sql_path(path: Path) -> str:
    return sql_string(str(path))


def _read_model(path: Path, layer: str) -> Model:
    text = path.read_text(encoding="utf-8")
    comment, options = [], {"materialized": "table", "schema": LAYER_SCHEMAS[layer], "incremental": "",
                            "part_reports": "0"}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        line = line.removeprefix("--").strip()
        key, _, value = line.partition(":")
        if key in options and value.strip() and " " not in value.strip():
            options[key] = value.strip()
        else:
            comment.append(line)
    if options["schema"] not in SCHEMAS:
        raise ModelError(f"{path}: schema {options['schema']!r} is not one of {', '.join(SCHEMAS)}")
    return Model(path.stem, layer, text, " ".join(comment), options["materialized"], schema=options["schema"],
                 incremental=options["incremental"], part_reports=int(options["part_reports"]))


def _dependencies(model: Model, schema_of: dict[str, str]) -> set[str]:
    """What a model reads: ``schema.name`` for a model or built table of another schema (bare names for main),
    ``raw.*`` and ``crawl_state.*`` as sources. A model of another schema named without it is an error."""
    body = re.sub(r"--[^\n]*", "", model.sql)
    found: set[str] = set()
    for schema, name in _QUALIFIED.findall(body):
        if schema in CATALOGS:
            found.add(f"{schema}.{name}")
        elif schema_of.get(name) == schema:
            found.add(name)
        else:
            raise ModelError(f"{model.layer}/{model.name}.sql reads {schema}.{name}: no model or built table "
                             f"{name} in schema {schema}" + (f" (it is in {schema_of[name]})" if name in schema_of else ""))
    for word in set(re.findall(r"\b[a-z_][a-z0-9_]*\b", _QUALIFIED.sub("", body))) & schema_of.keys():
        if word == model.name:
            continue
        if schema_of[word] != "main":
            raise ModelError(f"{model.layer}/{model.name}.sql names {word} without its schema: "
                             f"write {schema_of[word]}.{word}")
        found.add(word)
    return found


def load_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """All models in dependency order."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            models[path.stem] = _read_model(path, layer)
    schema_of = {**BUILT_TABLES, **{name: m.schema for name, m in models.items()}}
    graph = {}
    for name, model in models.items():
        depends = _dependencies(model, schema_of)
        graph[name] = {dep for dep in depends if dep in models}
        models[name] = replace(model, depends=frozenset(depends))
    return [models[name] for name in TopologicalSorter(graph).static_order()]


def run_models(con: duckdb.DuckDBPyConnection, models: list[Model]) -> dict[str, float]:
    """Materialise every model in its schema; returns seconds per model."""
    timings = {}
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for model in models:
        started = time.perf_counter()
        kind = "VIEW" if model.is_view else "TABLE"
        if model.part_reports and model.incremental and not model.is_view:
            from xxgk.incremental import build_in_parts

            build_in_parts(con, model, models, model.part_reports)
        else:
            con.execute(f"CREATE OR REPLACE {kind} {model.qualified} AS\n{model.table_sql}")
        comment_model(con, model)
        timings[model.name] = time.perf_counter() - started
    return timings


def comment_model(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    con.execute(f"COMMENT ON {'VIEW' if model.is_view else 'TABLE'} {model.qualified} IS {sql_string(model.description)}")


def load_divisions(con: duckdb.DuckDBPyConnection) -> None:
    """dim_divisions: administrative divisions (GB/T 2260) from the maintained datasets, with provenance."""
    import polars as pl

    from transforms.divisions import DIVISIONS_SOURCE, iter_divisions

    columns = ["division_code", "division_name", "level", "parent_code", "valid_from", "valid_to", "code12",
               "last_seen"]
    frame = pl.DataFrame([tuple(str(v) if v is not None else None for v in d) for d in iter_divisions()],
                         schema=columns, orient="row")
    con.register("divisions_frame", frame.to_arrow())
    con.execute("CREATE TABLE main.dim_divisions AS SELECT *, ? AS source FROM divisions_frame", [DIVISIONS_SOURCE])
    con.unregister("divisions_frame")
    con.execute("COMMENT ON TABLE dim_divisions IS 'One row per administrative division (GB/T 2260 code), current or "
                "historical, with the revision range it was listed in and the dataset it comes from.'")


def attach_crawl_state(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    """The crawler's state as catalog ``crawl_state`` (read-only), or empty tables of its shape when nothing was
    crawled. (The warehouse publishes its log as schema ``crawl``: ``crawl.fetch_log``.)"""
    path = crawl_state_path(db)
    if path.exists():
        con.execute(f"ATTACH {sql_path(path)} AS crawl_state (READ_ONLY)")
        return
    con.execute("ATTACH ':memory:' AS crawl_state")
    create_tables(con, "crawl_state")


def load_identity_terms(con: duckdb.DuckDBPyConnection) -> None:
    """identity_terms: every term of every identity the template registry declares, per template version;
    the SQL checks (sql/checks/chk_identities.sql) evaluate exactly these."""
    import polars as pl

    from transforms.identities import term_rows
    from transforms.registry import load_registry

    frame = pl.DataFrame(term_rows(load_registry()))
    con.register("identity_terms_frame", frame.to_arrow())
    con.execute("CREATE TABLE checks.identity_terms AS SELECT * FROM identity_terms_frame")
    con.unregister("identity_terms_frame")
    con.execute("COMMENT ON TABLE checks.identity_terms IS 'One row per term of an identity (勾稽关系) of the template "
                "registry, per template version: the checks evaluate these.'")


def remove_stale_builds(db: Path) -> list[Path]:
    """Build files (``.xxgk.duckdb.build-<pid>`` and its ``.wal``) of builds whose process is gone: a killed
    build leaves them, the next build removes them (a live process's file is left alone)."""
    removed = []
    for stale in db.parent.glob(f".{db.name}.build-*"):
        pid = stale.name.removeprefix(f".{db.name}.build-").removesuffix(".wal")
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed


def build_warehouse(db: Path, extra_sql: list[str] | None = None, incremental: bool = True) -> dict[str, float]:
    """Write a fresh warehouse next to ``db`` from its staging file and swap it in; returns seconds per model.

    ``incremental`` (the default): when the published warehouse was built from the same models and registry,
    only the changed reports' rows are rebuilt in a copy of it (xxgk/incremental.py); else a full build.
    ``last_build`` tells which it was."""
    from xxgk.incremental import copy_if_same_inputs, inputs_fingerprint, run_incremental

    db = Path(db)
    stage = staging_path(db)
    if not stage.exists():
        raise FileNotFoundError(f"no staging database at {stage}: ingest something first")
    remove_stale_builds(db)
    tmp = db.with_name(f".{db.name}.build-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    models = load_models()
    fingerprint = inputs_fingerprint(models)
    copied = incremental and not extra_sql and db.exists() and copy_if_same_inputs(db, tmp, fingerprint)
    con = None
    try:
        con = _open_build(tmp, stage, db)
        done = run_incremental(con, models, comment_model) if copied else None
        if done is None:
            if copied:  # too many reports changed: a full build is cheaper, in a fresh file
                con.close()
                tmp.unlink(missing_ok=True)
                con = _open_build(tmp, stage, db)
            timings = _full_build(con, models)
            last_build.update(kind="full", affected=None)
            base_build_id = None
        else:
            timings, n_affected = done
            last_build.update(kind="incremental", affected=n_affected)
            base_build_id = con.execute("SELECT build_id FROM meta.build_info").fetchone()[0]
            con.execute("DROP TABLE IF EXISTS meta.build_info")
            con.execute("DROP TABLE IF EXISTS meta.export_log")  # carried over from the published file again
        n_reports = con.execute("SELECT count(*) FROM main.dim_reports").fetchone()[0]
        # meta.build_info, and the export log carried over
        record_build(con, db, n_reports, fingerprint, base_build_id, "changed_reports" if base_build_id else None)
        for statement in extra_sql or []:
            con.execute(statement)
        apply_comments(con)  # the data dictionary (xxgk/dictionary.yaml) documents every table and column
        # the published file must not depend on the staging file: views over raw.* are not allowed
        con.execute("DETACH raw")
        con.execute("DETACH crawl_state")
        con.execute("CHECKPOINT")
    except BaseException:
        if con is not None:
            con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, db)  # atomic on POSIX: readers see the old file or the new one, never half of one
    return timings


last_build: dict = {"kind": None, "affected": None}  # what this process's last build did: full | incremental


def describe_build(build: dict | None = None) -> str:
    """``full`` or ``incremental, N reports affected``: what a build did (``build``: the ``build`` of an ingest
    summary; by default this process's last build)."""
    build = last_build if build is None else build
    if build["kind"] == "incremental":
        return f"incremental, {build['affected']} reports affected"
    return str(build["kind"])


def _open_build(tmp: Path, stage: Path, db: Path) -> duckdb.DuckDBPyConnection:
    """The build file ``tmp``, with staging attached as ``raw`` and the crawl state as ``crawl_state``."""
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")  # a bar on stdout is noise in flow logs
        con.execute(f"SET memory_limit = '{memory_limit()}'")  # spill to disk rather than grow with N
        con.execute(f"ATTACH {sql_path(stage)} AS raw (READ_ONLY)")
        attach_crawl_state(con, db)
    except BaseException:
        con.close()
        raise
    return con


def _full_build(con: duckdb.DuckDBPyConnection, models: list[Model]) -> dict[str, float]:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    load_divisions(con)
    load_identity_terms(con)
    load_labels(con)
    return run_models(con, models)
