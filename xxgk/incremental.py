"""The incremental build: a copy of the published warehouse with only the changed reports' rows rebuilt.

A nightly that changes 50 reports of 100,000 must not rebuild 20 million facts. When the warehouse was
built from the same inputs (``inputs_fingerprint``: every SQL model, the registry's identities and labels,
the divisions' source, the data dictionary, ``BUILD_FORMAT``), the build copies the published file and:

1. recomputes the report rows (``stg_reports``, one per report) and diffs them with the copy's: a report
   whose row differs in any column, or that appeared or left, has *changed* (every re-read gets a new
   ``ingested_at``; a report's rows in the per-report staging tables change only with it);
2. walks the models in dependency order. A model whose header says ``-- incremental: report_id`` (its
   rows are keyed by report and read only that report's rows and its publisher's other reports: facts,
   cells, sections, the checks within a report and across years) has the rows of the *affected* reports
   deleted and inserted again from its query, filtered to them. Every other model is small (one row per
   report or fewer) and recomputed whole; when it has a ``report_id`` column, the reports whose rows differ
   join the affected set (a report that became an alias, a counted report that changed);
3. widens the affected set, whenever it grows, to every report of the publishers it touches (old and new
   publisher keys): the cross-year checks pair a report with last year's of its publisher.

Views are left as they are (their SQL did not change). If the affected reports pass ``MAX_SHARE`` of all
reports, a full build is cheaper and is done instead. The result is the warehouse a full build gives, table
for table (tests/test_incremental.py compares every table after changes, removals, new aliases and rival
reports); it is then swapped in atomically like a full build.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from pathlib import Path

import duckdb

BUILD_FORMAT = "2"  # bump when the build's own steps change: the next build is a full one
MAX_SHARE = 0.2  # past this share of affected reports, a full build
MIN_FULL = 2000  # ... unless fewer affected reports than this
REPORTS_MODEL = "stg_reports"  # one row per report: its diff says which reports changed


def inputs_fingerprint(models) -> str:
    """What a warehouse's tables are a function of, besides staging: the models and the build's own tables."""
    from transforms.divisions import DIVISIONS_SOURCE
    from transforms.identities import term_rows
    from transforms.registry import load_registry
    from xxgk.dictionary import DICTIONARY_PATH
    from xxgk.labels import label_rows

    digest = hashlib.sha256(f"format {BUILD_FORMAT}\n".encode())
    for model in sorted(models, key=lambda m: m.name):
        digest.update(f"model {model.qualified} {model.materialized} {model.incremental}\n{model.sql}\n".encode())
    digest.update(repr(term_rows(load_registry())).encode())
    digest.update(repr(label_rows()).encode())
    digest.update(DIVISIONS_SOURCE.encode())
    digest.update(Path(DICTIONARY_PATH).read_bytes())
    return digest.hexdigest()


def _columns(con: duckdb.DuckDBPyConnection, qualified: str) -> list[str]:
    schema, name = qualified.split(".")
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database()"
        " AND table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, name]).fetchall()]


def copy_if_same_inputs(db: Path, tmp: Path, fingerprint: str) -> bool:
    """Copy the published warehouse to ``tmp`` when it was built from these inputs; False (nothing copied)
    when it was not, or cannot say."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False
    try:
        found = con.execute("SELECT inputs_fingerprint FROM meta.build_info").fetchone()
    except duckdb.Error:  # an older warehouse: no fingerprint
        found = None
    finally:
        con.close()
    if not found or found[0] != fingerprint:
        return False
    shutil.copyfile(db, tmp)
    return True


class Affected:
    """The affected report ids (a temporary table), widened to their publishers' reports as it grows."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        con.execute("CREATE OR REPLACE TEMP TABLE affected (report_id VARCHAR PRIMARY KEY)")
        con.execute("CREATE OR REPLACE TEMP TABLE old_reports AS SELECT report_id, publisher_key FROM staging.stg_reports")
        con.execute("CREATE OR REPLACE TEMP TABLE old_years AS SELECT report_id, report_year FROM main.dim_reports")
        con.execute("CREATE OR REPLACE TEMP TABLE changed (report_id VARCHAR PRIMARY KEY)")
        # the report years the changed reports' rows carry in the tables with a column of their own, before and after
        con.execute("CREATE OR REPLACE TEMP TABLE changed_row_years (report_id VARCHAR, report_year INTEGER)")

    def add(self, query: str) -> None:
        con = self.con
        con.execute(f"INSERT OR IGNORE INTO affected SELECT DISTINCT report_id FROM ({query}) WHERE report_id IS NOT NULL")
        con.execute("""
            INSERT OR IGNORE INTO affected
            SELECT DISTINCT r.report_id FROM (
                SELECT report_id, publisher_key FROM staging.stg_reports UNION ALL SELECT * FROM old_reports
            ) r
            WHERE r.publisher_key IN (
                SELECT publisher_key FROM staging.stg_reports WHERE report_id IN (SELECT report_id FROM affected)
                UNION SELECT publisher_key FROM old_reports WHERE report_id IN (SELECT report_id FROM affected)
            )""")

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM affected").fetchone()[0]

    def replace_rows(self, table: str, rebuilt: str, column: str) -> None:
        """Replace ``table``'s rows of the affected reports by ``rebuilt``'s, and note the reports whose rows
        really differ (an affected report is often rebuilt the same: a publisher's other years). The rows are
        read, then deleted by a plain DELETE: ``DELETE ... RETURNING`` took seconds on the 20-million-row facts."""
        con = self.con
        rows_of_affected = f"{column} IN (SELECT report_id FROM affected)"
        con.execute(f"CREATE OR REPLACE TEMP TABLE deleted_rows AS SELECT * FROM {table} WHERE {rows_of_affected}")
        con.execute(f"DELETE FROM {table} WHERE {rows_of_affected}")
        con.execute("CREATE OR REPLACE TEMP TABLE differ AS "
                    f"SELECT report_id FROM ({differing_reports('deleted_rows', rebuilt, column)}) WHERE report_id IS NOT NULL")
        con.execute("INSERT OR IGNORE INTO changed SELECT report_id FROM differ")
        if "report_year" in _columns(con, table):
            con.execute(f"""
                INSERT INTO changed_row_years SELECT DISTINCT {column}, report_year FROM (
                    SELECT {column}, report_year FROM deleted_rows UNION ALL SELECT {column}, report_year FROM {rebuilt}
                ) WHERE {column} IN (SELECT report_id FROM differ)""")
        con.execute("DROP TABLE deleted_rows")
        con.execute("DROP TABLE differ")
        con.execute(f"INSERT INTO {table} SELECT * FROM {rebuilt} ORDER BY {column}")  # a clustered table's order

    def record_changes(self) -> None:
        """``changed_reports`` (a temporary table): each report whose rows in a per-report table changed or whose
        year changed, with every report year its rows can have had in an export before or after: its year in
        dim_reports before and after (null where it is not there: a table without a year of its own takes it from
        dim_reports) and the years its changed rows carry themselves. The files of those (year, report-id bucket)
        an export must rewrite (xxgk/export.py); a year too many costs a rewrite, a year missing a stale file."""
        self.con.execute("""
            CREATE OR REPLACE TEMP TABLE changed_reports AS
            WITH moved AS (
                SELECT report_id FROM old_years o FULL JOIN main.dim_reports n USING (report_id)
                WHERE o.report_year IS DISTINCT FROM n.report_year
            ), touched AS (
                SELECT report_id FROM changed UNION SELECT report_id FROM moved
            )
            SELECT DISTINCT report_id, report_year FROM (
                SELECT t.report_id, unnest([o.report_year, n.report_year]) AS report_year
                FROM touched t LEFT JOIN old_years o USING (report_id) LEFT JOIN main.dim_reports n USING (report_id)
                UNION ALL SELECT report_id, report_year FROM changed_row_years
            ) ORDER BY report_id, report_year NULLS LAST""")


def run_incremental(con: duckdb.DuckDBPyConnection, models, comment) -> tuple[dict[str, float], int] | None:
    """Rebuild the affected reports' rows in the copy ``con`` holds (raw and crawl_state attached): the seconds
    per model and how many reports were affected, the reports whose rows changed left in the temporary table
    ``changed_reports`` (``Affected.record_changes``); None when a full build is the better choice (too many
    reports affected, or a model outside the contract).
    ``comment(con, model)`` sets a model's comment after it was replaced.

    First every small model is recomputed (the affected set is then complete: a small model never reads a
    per-report one); then each per-report model runs on its inputs restricted to the affected reports (temporary
    tables ``inc__*``: a per-report model's rows for a report read only that report's and its publisher's rows),
    and its table has those reports' rows replaced."""
    timings: dict[str, float] = {}
    by_name = {m.name: m for m in models}
    per_report = {m.name for m in models if m.incremental}
    if any(dep in per_report for m in models if not m.incremental and not m.is_view for dep in m.depends):
        return None  # a small model reading a per-report one: outside the contract, build in full
    affected = Affected(con)
    started = time.perf_counter()
    _replace(con, by_name[REPORTS_MODEL], affected, comment)
    timings[REPORTS_MODEL] = time.perf_counter() - started
    for model in models:
        if model.name == REPORTS_MODEL or model.is_view or model.incremental:
            continue
        started = time.perf_counter()
        _replace(con, model, affected, comment)
        timings[model.name] = time.perf_counter() - started
    total = con.execute("SELECT count(*) FROM staging.stg_reports").fetchone()[0]
    n_affected = affected.count()
    if n_affected > max(MIN_FULL, MAX_SHARE * total):
        return None
    restricted: dict[str, str | None] = {}
    for model in models:
        if not model.incremental:
            continue
        started = time.perf_counter()
        restrict_model(con, model, by_name, restricted)
        if not model.is_view:
            column = model.incremental
            affected.replace_rows(model.qualified, f"inc__{model.name}", column)
        timings[model.name] = time.perf_counter() - started
    affected.record_changes()
    return timings, n_affected


def restrict_model(con: duckdb.DuckDBPyConnection, model, by_name: dict, done: dict[str, str | None]) -> str:
    """``inc__<model>``: a per-report model's rows of the reports in ``affected``, from its inputs restricted alike."""
    if model.name not in done:
        mapping = {dep: _restricted(con, dep, by_name, done) for dep in model.depends}
        sql = rewrite(model.sql, {dep: name for dep, name in mapping.items() if name})
        con.execute(f"CREATE OR REPLACE TEMP TABLE inc__{model.name} AS\n{sql}")
        done[model.name] = f"inc__{model.name}"
    return f"inc__{model.name}"


def build_in_parts(con: duckdb.DuckDBPyConnection, model, models, part_reports: int) -> None:
    """Create a per-report model's table part by part, ``part_reports`` reports at most (a publisher's reports in
    one part): what a full build does for a model whose query would not fit the memory cap in one piece (the
    identities of 100,000 reports). Each part is the incremental build's step with the part as the affected set;
    with ``part_reports`` reports or fewer, the model's own query (restricting would copy every input whole)."""
    n = con.execute("SELECT count(*) FROM staging.stg_reports").fetchone()[0]
    if n <= part_reports:
        con.execute(f"CREATE OR REPLACE TABLE {model.qualified} AS\n{model.table_sql}")
        return
    by_name = {m.name: m for m in models}
    parts = -(-n // part_reports)
    for part in range(parts):
        con.execute("CREATE OR REPLACE TEMP TABLE affected AS SELECT report_id FROM staging.stg_reports "
                    f"WHERE hash(coalesce(publisher_key, report_id)) % {parts} = {part}")
        done: dict[str, str | None] = {}
        name = restrict_model(con, model, by_name, done)
        if part == 0:
            con.execute(f"CREATE OR REPLACE TABLE {model.qualified} AS SELECT * FROM {name}")
        else:
            con.execute(f"INSERT INTO {model.qualified} SELECT * FROM {name}")
        for table in filter(None, done.values()):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute("DROP TABLE IF EXISTS affected")
    if model.clustered:  # the parts follow publishers: stored in report order like a table built whole
        con.execute(f"CREATE OR REPLACE TABLE {model.qualified} AS SELECT * FROM {model.qualified} "
                    f"ORDER BY {model.incremental}")


_REFERENCE = re.compile(r"\b(from|join)(\s+)(?:(main|staging|checks|crawl|meta|raw|crawl_state)\.)?([a-z_][a-z0-9_]*)\b",
                        re.IGNORECASE)
_CATALOGS = ("raw", "crawl_state")


def rewrite(sql: str, names: dict[str, str]) -> str:
    """The model's SQL reading ``names[dependency]`` wherever it reads that dependency (after FROM or JOIN;
    ``raw.x`` and ``crawl_state.x`` by their qualified names, models and built tables by their names)."""
    def swap(match: re.Match) -> str:
        keyword, space, schema, name = match.groups()
        key = f"{schema}.{name}" if schema in _CATALOGS else name
        return f"{keyword}{space}{names[key]}" if key in names else match.group(0)

    return _REFERENCE.sub(swap, sql)


def _restricted(con: duckdb.DuckDBPyConnection, dependency: str, by_name: dict, done: dict[str, str | None]) -> str | None:
    """A temporary table of ``dependency``'s rows of the affected reports (None: it has no report_id, it is read
    whole: the registry's terms, the labels, the publishers)."""
    if dependency in done:
        return done[dependency]
    model = by_name.get(dependency)
    if model is not None and model.incremental:  # a per-report model (the facts view): its rows from restricted inputs
        return restrict_model(con, model, by_name, done)
    if "." in dependency:  # raw.raw_facts, crawl_state.fetch_log
        qualified = dependency
        catalog, name = dependency.split(".")
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_name = ?",
            [catalog, name]).fetchall()]
    else:
        model = by_name.get(dependency)
        qualified = model.qualified if model else f"{BUILT_SCHEMAS.get(dependency, 'main')}.{dependency}"
        columns = _columns(con, qualified)
    name = None
    if "report_id" in columns:
        name = "inc__" + dependency.replace(".", "__")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {qualified} "
                    "WHERE report_id IN (SELECT report_id FROM affected)")
    done[dependency] = name
    return name


BUILT_SCHEMAS = {"dim_divisions": "main", "identity_terms": "checks", "labels": "main"}


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def differing_reports(old: str, new: str, column: str) -> str:
    """SQL: the reports (``column``, as ``report_id``) whose rows differ between two relations of the same
    columns: a row on one side only, or another number of rows (EXCEPT ALL would say it too, at 4x the cost)."""
    return f"""
        SELECT DISTINCT {column} AS report_id FROM (SELECT * FROM {new} EXCEPT SELECT * FROM {old})
        UNION SELECT DISTINCT {column} FROM (SELECT * FROM {old} EXCEPT SELECT * FROM {new})
        UNION SELECT {column} FROM (SELECT {column}, count(*) AS n FROM {new} GROUP BY {column}) r
              FULL JOIN (SELECT {column}, count(*) AS n FROM {old} GROUP BY {column}) o USING ({column})
              WHERE r.n IS DISTINCT FROM o.n"""


def _replace(con: duckdb.DuckDBPyConnection, model, affected: Affected, comment) -> None:
    """Recompute a whole model; the reports whose rows differ join the affected set. A model keyed by report
    has only those reports' rows replaced (the rest of its table is left as it is)."""
    if "report_id" not in _columns(con, model.qualified):
        con.execute(f"CREATE OR REPLACE TABLE {model.qualified} AS\n{model.sql}")
        comment(con, model)
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE rebuilt_rows AS\n{model.sql}")
    con.execute("CREATE OR REPLACE TEMP TABLE differing AS "
                + differing_reports(model.qualified, "rebuilt_rows", "report_id"))
    rows_of_differing = ("report_id IN (SELECT report_id FROM differing) OR "
                         "(report_id IS NULL AND EXISTS (SELECT 1 FROM differing WHERE report_id IS NULL))")
    con.execute(f"DELETE FROM {model.qualified} WHERE {rows_of_differing}")
    con.execute(f"INSERT INTO {model.qualified} SELECT * FROM rebuilt_rows WHERE {rows_of_differing}")
    affected.add("SELECT report_id FROM differing")
    con.execute("DROP TABLE rebuilt_rows")
    con.execute("DROP TABLE differing")
