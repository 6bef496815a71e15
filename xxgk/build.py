"""Build the published warehouse from staging with the SQL models, then swap it in atomically.

A model is one ``sql/<layer>/<name>.sql`` file holding one SELECT; the file's leading ``--``
comment says what one row is and becomes the table comment. Models are materialised as tables,
except the analyst views (``v_*``), in dependency order found from the names they mention.
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
from xxgk.staging import memory_limit, staging_path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("staging", "core", "checks", "marts")
BUILT_TABLES = {"dim_divisions", "identity_terms"}  # written by the build itself (core layer), not by a model


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    sql: str
    description: str
    materialized: str = "table"  # table | view (analyst views ``v_*``, or a header line ``-- materialized: view``)
    depends: frozenset[str] = frozenset()  # the models and sources (raw.*, crawl.*, build-written tables) it reads

    @property
    def is_view(self) -> bool:
        return self.name.startswith("v_") or self.materialized == "view"


def sql_string(text: str) -> str:
    """A SQL string literal for our own paths and docs (DDL takes no parameters; never used for report text)."""
    return "'" + text.replace("'", "''") + "'"


def sql_path(path: Path) -> str:
    return sql_string(str(path))


def load_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """All models in dependency order."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            text = path.read_text(encoding="utf-8")
            comment, materialized = [], "table"
            for line in text.splitlines():
                if not line.startswith("--"):
                    break
                line = line.removeprefix("--").strip()
                if line.startswith("materialized:"):
                    materialized = line.partition(":")[2].strip()
                else:
                    comment.append(line)
            models[path.stem] = Model(path.stem, layer, text, " ".join(comment), materialized)
    graph = {}
    for name, model in models.items():
        body = re.sub(r"--[^\n]*", "", model.sql)
        sources = set(re.findall(r"\b(?:raw|crawl)\.\w+", body)) | (set(re.findall(r"\b\w+\b", body)) & BUILT_TABLES)
        words = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", re.sub(r"\b(?:raw|crawl)\.\w+", "", body)))
        graph[name] = {dep for dep in words & models.keys() if dep != name}
        models[name] = replace(model, depends=frozenset(graph[name] | sources))
    return [models[name] for name in TopologicalSorter(graph).static_order()]


def run_models(con: duckdb.DuckDBPyConnection, models: list[Model]) -> dict[str, float]:
    """Materialise every model; returns seconds per model."""
    timings = {}
    for model in models:
        started = time.perf_counter()
        kind = "VIEW" if model.is_view else "TABLE"
        con.execute(f"CREATE OR REPLACE {kind} {model.name} AS\n{model.sql}")
        con.execute(f"COMMENT ON {kind} {model.name} IS {sql_string(model.description)}")
        timings[model.name] = time.perf_counter() - started
    return timings


def load_divisions(con: duckdb.DuckDBPyConnection) -> None:
    """dim_divisions: administrative divisions (GB/T 2260) from the maintained datasets, with provenance."""
    import polars as pl

    from transforms.divisions import DIVISIONS_SOURCE, iter_divisions

    columns = ["division_code", "division_name", "level", "parent_code", "valid_from", "valid_to", "code12",
               "last_seen"]
    frame = pl.DataFrame([tuple(str(v) if v is not None else None for v in d) for d in iter_divisions()],
                         schema=columns, orient="row")
    con.register("divisions_frame", frame.to_arrow())
    con.execute("CREATE TABLE dim_divisions AS SELECT *, ? AS source FROM divisions_frame", [DIVISIONS_SOURCE])
    con.unregister("divisions_frame")
    con.execute("COMMENT ON TABLE dim_divisions IS 'One row per administrative division (GB/T 2260 code), current or "
                "historical, with the revision range it was listed in and the dataset it comes from.'")


def attach_crawl_state(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    """The crawler's state as schema ``crawl`` (read-only), or empty tables of its shape when nothing was crawled."""
    path = crawl_state_path(db)
    if path.exists():
        con.execute(f"ATTACH {sql_path(path)} AS crawl (READ_ONLY)")
        return
    con.execute("ATTACH ':memory:' AS crawl")
    create_tables(con, "crawl")


def load_identity_terms(con: duckdb.DuckDBPyConnection) -> None:
    """identity_terms: every term of every identity the template registry declares, per template version;
    the SQL checks (sql/checks/chk_identities.sql) evaluate exactly these."""
    import polars as pl

    from transforms.identities import term_rows
    from transforms.registry import load_registry

    frame = pl.DataFrame(term_rows(load_registry()))
    con.register("identity_terms_frame", frame.to_arrow())
    con.execute("CREATE TABLE identity_terms AS SELECT * FROM identity_terms_frame")
    con.unregister("identity_terms_frame")
    con.execute("COMMENT ON TABLE identity_terms IS 'One row per term of an identity (勾稽关系) of the template "
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


def build_warehouse(db: Path, extra_sql: list[str] | None = None) -> dict[str, float]:
    """Write a fresh warehouse next to ``db`` from its staging file and swap it in."""
    db = Path(db)
    stage = staging_path(db)
    if not stage.exists():
        raise FileNotFoundError(f"no staging database at {stage}: ingest something first")
    remove_stale_builds(db)
    tmp = db.with_name(f".{db.name}.build-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")  # a bar on stdout is noise in flow logs
        con.execute(f"SET memory_limit = '{memory_limit()}'")  # spill to disk rather than grow with N
        con.execute(f"ATTACH {sql_path(stage)} AS raw (READ_ONLY)")
        attach_crawl_state(con, db)
        load_divisions(con)
        load_identity_terms(con)
        timings = run_models(con, load_models())
        for statement in extra_sql or []:
            con.execute(statement)
        apply_comments(con)  # the data dictionary (xxgk/dictionary.yaml) documents every table and column
        # the published file must not depend on the staging file: views over raw.* are not allowed
        con.execute("DETACH raw")
        con.execute("DETACH crawl")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, db)  # atomic on POSIX: readers see the old file or the new one, never half of one
    return timings
