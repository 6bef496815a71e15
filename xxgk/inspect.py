"""Read-only looks into the warehouse for the command line: a report by id or URI, its checks, its cells.

``xxgk check`` (grouped by check and status, failing checks, one report's checks, the reason of each that
is not pass, an exit code for CI) and ``xxgk show REPORT`` (one report's tables as read) print what these
return.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
TABLE_ORDER = ("proactive", "applications", "reviews_litigation")


def resolve_report(con: duckdb.DuckDBPyConnection, given: str) -> str | None:
    """The report_id of a report named by its id, its source URI, an alias URI, or a local path read as one."""
    candidates = [given]
    path = Path(given)
    if path.exists():
        from xxgk.records import source_uri_for

        candidates.append(source_uri_for(path))
    for text in candidates:
        row = con.execute("SELECT report_id FROM dim_reports WHERE report_id = ? OR source_uri = ? LIMIT 1",
                          [text, text]).fetchone() or con.execute(
            "SELECT report_id FROM report_aliases WHERE alias_uri = ? LIMIT 1", [text]).fetchone()
        if row:
            return row[0]
    return None


def report_header(con: duckdb.DuckDBPyConnection, report_id: str) -> dict:
    columns = ["report_id", "publisher_name", "report_year", "status", "status_reason", "template_version",
               "source_format", "layout", "source_uri", "title", "is_counted"]
    row = con.execute(f"SELECT {', '.join(columns)} FROM dim_reports WHERE report_id = ?", [report_id]).fetchone()
    return dict(zip(columns, row, strict=True))


def check_groups(con: duckdb.DuckDBPyConnection, report_id: str | None = None) -> list[tuple]:
    """(check_code, severity, pass, fail, not_assessable, reports with a problem) per check."""
    return con.execute(
        "SELECT check_code, severity, count(*) FILTER (WHERE status = 'pass'), count(*) FILTER (WHERE status = 'fail'),"
        " count(*) FILTER (WHERE status = 'not_assessable'),"
        " count(DISTINCT report_id) FILTER (WHERE status <> 'pass')"
        " FROM dq_check_results WHERE coalesce(report_id = ?, true)"
        " GROUP BY check_code, severity ORDER BY CASE severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END, check_code",
        [report_id]).fetchall()


def not_assessable_reasons(con: duckdb.DuckDBPyConnection, report_id: str | None = None, limit: int = 10
                           ) -> list[tuple]:
    """(check_code, reason, checks, reports) for the most frequent reasons a check could not be assessed."""
    return con.execute(
        "SELECT check_code, reason, count(*), count(DISTINCT report_id) FROM dq_check_results"
        " WHERE status = 'not_assessable' AND coalesce(report_id = ?, true)"
        " GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT ?", [report_id, limit]).fetchall()


def check_rows(con: duckdb.DuckDBPyConnection, *, report_id: str | None = None, failing: bool = False
               ) -> list[tuple]:
    """(publisher, year, check_code, scope, expected, actual, status, severity, reason): one report's checks
    (every status) or the failing checks of all reports."""
    where = ["coalesce(c.report_id = ?, true)"]
    if failing:
        where.append("c.status = 'fail'")
    return con.execute(
        "SELECT d.publisher_name, d.report_year, c.check_code, c.scope, c.expected, c.actual, c.status,"
        " c.severity, c.reason FROM dq_check_results c LEFT JOIN dim_reports d USING (report_id)"
        f" WHERE {' AND '.join(where)}"
        " ORDER BY d.publisher_name, d.report_year, CASE c.status WHEN 'fail' THEN 1 WHEN 'not_assessable' THEN 2"
        " ELSE 3 END, c.check_code, c.scope", [report_id]).fetchall()


def failing_at(con: duckdb.DuckDBPyConnection, level: str, report_id: str | None = None) -> int:
    """Checks that fail with a severity at ``level`` or above (error > warning > info)."""
    severities = [s for s, rank in SEVERITY_RANK.items() if rank >= SEVERITY_RANK[level]]
    return con.execute(
        "SELECT count(*) FROM dq_check_results WHERE status = 'fail' AND list_contains(?, severity)"
        " AND coalesce(report_id = ?, true)", [severities, report_id]).fetchone()[0]


def report_cells(con: duckdb.DuckDBPyConnection, report_id: str) -> dict[str, list[tuple]]:
    """table_code → (row label, row_code, col_code, column label, value, raw_text, value_status, note, locator) in template
    order: every canonical cell of the report as read (value is the count, or the amount with its unit)."""
    rows = con.execute(
        """
        WITH l AS (
            SELECT table_code, code_kind, code, label_zh, sort_order, template_versions FROM labels
        )
        SELECT f.table_code, coalesce(r.label_zh, f.label_text, f.row_code), f.row_code, f.col_code,
               coalesce(c.label_zh, f.col_code),
               CASE WHEN f.is_money THEN rtrim(rtrim(CAST(f.amount AS VARCHAR), '0'), '.') || coalesce(' ' || f.unit, '')
                    ELSE CAST(f.value AS VARCHAR) END,
               f.raw_text, f.value_status, f.note, f.locator
        FROM checks.facts f
        LEFT JOIN l r ON r.table_code = f.table_code AND r.code = f.row_code
             AND r.code_kind IN ('item', 'outcome', 'block')
             AND (f.table_code = 'reviews_litigation' OR list_contains(r.template_versions, f.template_version))
        LEFT JOIN l c ON c.table_code = f.table_code AND c.code = f.col_code
             AND c.code_kind IN ('metric', 'applicant', 'result')
             AND (f.table_code = 'reviews_litigation' OR list_contains(c.template_versions, f.template_version))
        WHERE f.report_id = ?
        ORDER BY f.table_code, coalesce(r.sort_order, 9999), f.row_code, coalesce(c.sort_order, 9999), f.col_code
        """, [report_id]).fetchall()
    tables: dict[str, list[tuple]] = {}
    for row in rows:
        tables.setdefault(row[0], []).append(row[1:])
    return {t: tables[t] for t in sorted(tables, key=lambda t: TABLE_ORDER.index(t) if t in TABLE_ORDER else 9)}
