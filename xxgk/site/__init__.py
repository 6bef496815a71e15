"""``xxgk report``: a static HTML site from the warehouse that works offline.

``index.html``: coverage by province and year, the distributions of disclosure and correction rates, the top
refusal grounds, the checks that fail or cannot be assessed and why, and every report; ``reports/<id>.html``:
one report with its source link, its tables as read (each cell with its status and locator, inferred and
missing cells marked) and the checks on it. Charts are inline SVG (xxgk/site/svg.py); the one stylesheet and
the one small script (table sorting, a filter box) are copied from xxgk/site/static/. Nothing is fetched.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from html import escape
from pathlib import Path

import duckdb

from xxgk import inspect
from xxgk.site import svg
from xxgk.stamps import export_state

STATIC = Path(__file__).resolve().with_name("static")
TABLE_TITLES = {"proactive": "表二 主动公开政府信息情况", "applications": "表三 收到和处理政府信息公开申请情况",
                "reviews_litigation": "表四 政府信息公开行政复议、行政诉讼情况"}


def _e(value: object) -> str:
    return "" if value is None else escape(str(value))


def _num(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else escape(str(value))


def page(title: str, body: str, root: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{_e(title)}</title><link rel="icon" href="data:,">'
            f'<link rel="stylesheet" href="{root}static/site.css"></head><body>'
            f'<header><h1><a href="{root}index.html">xxgk</a> · {_e(title)}</h1></header><main>{body}</main>'
            f'<script src="{root}static/site.js"></script></body></html>\n')


def table_html(headers: list[str], rows: list[list[str]], *, numeric: tuple[int, ...] = (), table_id: str = "",
               sortable: bool = True) -> str:
    """Cells are HTML already (escaped by the caller)."""
    attrs = (f' id="{table_id}"' if table_id else "") + (' class="sortable"' if sortable else "")
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{_e(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(status: str) -> str:
    return f'<span class="status-{_e(status)}">{_e(status)}</span>'


def _report_link(report_id: str, text: object, root: str = "") -> str:
    return f'<a href="{root}reports/{_e(report_id)}.html">{_e(text) or _e(report_id)}</a>'


# ---- the index ------------------------------------------------------------------------------------------
def _overview(con: duckdb.DuckDBPyConnection) -> str:
    n, counted, publishers, lo, hi = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_counted), count(DISTINCT publisher_key), min(report_year),"
        " max(report_year) FROM dim_reports").fetchone()
    statuses = con.execute("SELECT status, count(*) FROM dim_reports GROUP BY ALL ORDER BY 2 DESC").fetchall()
    stats = [("reports", n), ("counted", counted), ("publishers", publishers),
             ("years", f"{lo}–{hi}" if lo else "–")] + [(s, c) for s, c in statuses]
    boxes = "".join(f'<div class="stat"><b>{_num(v)}</b>{_e(k)}</div>' for k, v in stats)
    state = export_state(con)
    return (f'<div class="stats">{boxes}</div><p class="muted">build {_e(state.build_id)} of '
            f'{_e(state.built_at)} · {_e(state.describe())}</p>')


def _coverage(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "SELECT coalesce(province_name, '(unresolved)'), report_year, coverage_status, count(*) FROM coverage"
        " GROUP BY ALL ORDER BY ALL").fetchall()
    cells: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    for province, year, status, count in rows:
        cells[(province, year)][status] = count
    provinces = sorted({r[0] for r in rows})
    years = sorted({r[1] for r in rows})
    chart = svg.coverage_grid(provinces, years, cells, "Coverage by province and year: publishers with a loaded, "
                              "partial, failed or missing report")
    listing = [[_e(p), str(y), *(_num(cells[(p, y)].get(s, 0)) for s in svg.STATUS_COLORS)]
               for p in provinces for y in years]
    return (f'<h2 id="coverage">Coverage by province and year</h2><div class="card">{chart}</div>'
            f'<details><summary>as a table</summary>'
            f'{table_html(["province", "year", *svg.STATUS_COLORS], listing, numeric=(2, 3, 4, 5))}</details>')


def _rates(con: duckdb.DuckDBPyConnection) -> str:
    disclosure = [r[0] for r in con.execute("SELECT disclosure_rate FROM v_application_metrics").fetchall()]
    disputes = con.execute("SELECT review_correction_rate, litigation_correction_rate FROM v_dispute_metrics"
                           ).fetchall()
    review, litigation = [r[0] for r in disputes], [r[1] for r in disputes]
    charts = [("Disclosure rate: (granted + partially granted) / total handled", list(disclosure)),
              ("Administrative review correction rate: corrected / total", list(review)),
              ("Litigation correction rate: corrected / total", list(litigation))]
    cards = "".join(f'<div class="card"><h3>{_e(t)}</h3>{svg.histogram(v, t)}</div>' for t, v in charts)
    return ('<h2 id="rates">Distributions of disclosure and correction rates</h2>'
            '<p class="muted">Counted reports (one per publisher and year); reported or inferred cells of the total '
            'column; a report whose denominator is zero or unknown has no rate.</p>'
            f'<div class="grid">{cards}</div>')


def _refusals(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        """
        SELECT a.outcome_code, any_value(l.label_zh), any_value(l.label_en), cast(sum(a.value) AS BIGINT) AS n
        FROM fct_applications a JOIN dim_reports d USING (report_id)
        LEFT JOIN labels l ON l.code_kind = 'outcome' AND l.code = a.outcome_code
        WHERE d.is_counted AND a.applicant_code = 'total' AND a.value_status IN ('reported', 'inferred')
          AND a.outcome_group IN ('withheld', 'unavailable', 'not_processed')
        GROUP BY a.outcome_code HAVING sum(a.value) > 0 ORDER BY n DESC, a.outcome_code LIMIT 15
        """).fetchall()
    chart = svg.bar_chart([(f"{zh or code}", n) for code, zh, _en, n in rows],
                          "Top refusal grounds: applications not granted, by ground", unit="applications")
    listing = [[f"<code>{_e(c)}</code>", _e(zh), _e(en), _num(n)] for c, zh, en, n in rows]
    return ('<h2 id="refusals">Top refusal grounds</h2><p class="muted">Applications withheld (不予公开), unavailable '
            '(无法提供) or not processed (不予处理), summed over counted reports (总计 column).</p>'
            f'<div class="card">{chart}</div>'
            f'{table_html(["outcome_code", "中文", "English", "applications"], listing, numeric=(3,))}')


def _checks(con: duckdb.DuckDBPyConnection) -> str:
    groups = [[f"<code>{_e(c)}</code>", _e(s), _num(p), _num(f), _num(n), _num(r)]
              for c, s, p, f, n, r in inspect.check_groups(con)]
    reasons = [[f"<code>{_e(c)}</code>", _e(reason), _num(n), _num(r)]
               for c, reason, n, r in inspect.not_assessable_reasons(con, limit=20)]
    failing = con.execute(
        "SELECT c.report_id, d.publisher_name, d.report_year, c.check_code, c.scope, c.expected, c.actual,"
        " c.severity, c.reason FROM dq_check_results c JOIN dim_reports d USING (report_id)"
        " WHERE c.status = 'fail' ORDER BY CASE c.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END,"
        " d.publisher_name, c.check_code, c.scope LIMIT 200").fetchall()
    fail_rows = [[_report_link(rid, f"{pub or '?'} {year or ''}"), f"<code>{_e(code)}</code>", _e(scope),
                  _num(exp), _num(act), _e(sev), _e(reason)] for rid, pub, year, code, scope, exp, act, sev, reason
                 in failing]
    chart = svg.bar_chart([(c, f + n) for c, _s, _p, f, n, _r in inspect.check_groups(con) if f + n],
                          "Checks that fail or cannot be assessed, by check", unit="checks")
    return ('<h2 id="checks">Checks that fail, and why</h2><div class="card">' + chart + "</div>"
            + table_html(["check_code", "severity", "pass", "fail", "not_assessable", "reports not pass"], groups,
                         numeric=(2, 3, 4, 5))
            + "<h3>Failing checks</h3>"
            + (table_html(["report", "check", "scope", "expected", "actual", "severity", "why"], fail_rows,
                          numeric=(3, 4)) if fail_rows else '<p class="muted">No check fails.</p>')
            + "<h3>Not assessable: the terms that are not a reported number</h3>"
            + (table_html(["check", "reason", "checks", "reports"], reasons, numeric=(2, 3)) if reasons
               else '<p class="muted">Every check could be assessed.</p>'))


def _reports(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        """
        SELECT d.report_id, d.publisher_name, d.report_year, p.province_name, d.status, d.template_version, d.layout,
               d.is_counted, count(c.check_code) FILTER (WHERE c.status = 'fail'),
               count(c.check_code) FILTER (WHERE c.status = 'not_assessable')
        FROM dim_reports d LEFT JOIN dim_publishers p USING (publisher_key)
        LEFT JOIN dq_check_results c USING (report_id)
        GROUP BY ALL ORDER BY d.publisher_name NULLS LAST, d.report_year, d.report_id
        """).fetchall()
    listing = [[_report_link(rid, pub or "(no publisher)"), _num(year), _e(prov), _status(status), _e(tpl), _e(lay),
                "yes" if counted else "no", _num(fail), _num(na)]
               for rid, pub, year, prov, status, tpl, lay, counted, fail, na in rows]
    return ('<h2 id="reports">Reports</h2><input class="filter" data-table="report-list" '
            'placeholder="filter: publisher, year, province, status…">'
            + table_html(["publisher", "year", "province", "status", "template", "layout", "counted",
                          "checks failing", "not assessable"], listing, numeric=(1, 7, 8), table_id="report-list"))


def index_page(con: duckdb.DuckDBPyConnection) -> str:
    nav = ('<p><a href="#coverage">coverage</a> · <a href="#rates">rates</a> · <a href="#refusals">refusal '
           'grounds</a> · <a href="#checks">checks</a> · <a href="#reports">reports</a></p>')
    return page("政府信息公开工作年度报告 warehouse", _overview(con) + nav + _coverage(con) + _rates(con)
                + _refusals(con) + _checks(con) + _reports(con))


# ---- a report -------------------------------------------------------------------------------------------
MARKS = {"inferred": "推", "missing": "缺"}


def _grid(rows: list[tuple]) -> str:
    """The cells of one table laid out as the template: rows × columns, each cell marked by its status."""
    row_order: dict[str, str] = {}
    col_order: dict[str, str] = {}
    cells = {}
    for label, row_code, col_code, col_label, value, raw, status, note, locator in rows:
        row_order.setdefault(row_code, label)
        col_order.setdefault(col_code, col_label)
        cells[(row_code, col_code)] = (value, raw, status, note, locator)
    head = "".join(f"<th>{_e(label)}<br><code>{_e(c)}</code></th>" for c, label in col_order.items())
    body = []
    for row_code, label in row_order.items():
        tds = []
        for col in col_order:
            if (row_code, col) not in cells:
                tds.append("<td></td>")
                continue
            value, raw, status, note, locator = cells[(row_code, col)]
            tip = f"{status}; raw text: {raw!r}" + (f"; {note}" if note else "") + (f"; at {locator}" if locator else "")
            mark = f'<span class="mark mark-{status}">{MARKS[status]}</span>' if status in MARKS else ""
            shown = _e(value) if value is not None else f'<span class="muted">{_e(raw) or status}</span>'
            tds.append(f'<td class="cell v-{_e(status)}" title="{_e(tip)}" data-status="{_e(status)}">{shown}{mark}'
                       f'<small>{_e(locator)}</small></td>')
        body.append(f"<tr><th>{_e(label)}<br><code>{_e(row_code)}</code></th>{''.join(tds)}</tr>")
    return f'<table class="grid-table"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def report_page(con: duckdb.DuckDBPyConnection, report_id: str) -> str:
    head = inspect.report_header(con, report_id)
    title = f"{head['publisher_name'] or '(no publisher)'} {head['report_year'] or ''}"
    uri = head["source_uri"] or ""
    aliases = con.execute("SELECT alias_uri, reason FROM report_aliases WHERE report_id = ?", [report_id]).fetchall()
    facts = [("source", f'<a href="{_e(uri)}">{_e(uri)}</a>'), ("title", _e(head["title"])),
             ("status", _status(head["status"]) + (f" — {_e(head['status_reason'])}" if head["status_reason"] else "")),
             ("template", _e(head["template_version"])), ("format / layout", f"{_e(head['source_format'])} / "
                                                                            f"{_e(head['layout'])}"),
             ("counted", "yes" if head["is_counted"] else "no"), ("report_id", f"<code>{_e(report_id)}</code>")]
    facts += [("alias", f'<a href="{_e(a)}">{_e(a)}</a> ({_e(r)})') for a, r in aliases]
    out = ["<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts) + "</table>"]
    checks = inspect.check_rows(con, report_id=report_id)
    out.append("<h2>Checks on this report</h2>")
    def check_table(rows: list[tuple]) -> str:
        return table_html(["check", "scope", "expected", "actual", "status", "severity", "why"],
                          [[f"<code>{_e(c[2])}</code>", _e(c[3]), _num(c[4]), _num(c[5]), _status(c[6]), _e(c[7]),
                            _e(c[8])] for c in rows], numeric=(2, 3))

    if checks:
        problems = [c for c in checks if c[6] != "pass"]
        passed = [c for c in checks if c[6] == "pass"]
        out.append(check_table(problems) if problems else f'<p>All {len(passed)} checks pass.</p>')
        if passed:
            out.append(f"<details><summary>{len(passed)} checks pass</summary>{check_table(passed)}</details>")
    else:
        out.append('<p class="muted">No check applies (no table cells).</p>')
    out.append('<h2>Tables as read</h2><p class="legend"><span class="v-reported">reported</span>'
               '<span class="v-inferred">inferred 推</span><span class="v-missing">missing 缺</span>'
               '<span class="v-blank">blank / placeholder</span><span class="v-text">text</span> '
               '· hover a cell for its raw text, note and locator; the small line is its locator</p>')
    tables = inspect.report_cells(con, report_id)
    for table, rows in tables.items():
        inferred = sum(1 for r in rows if r[6] == "inferred")
        missing = sum(1 for r in rows if r[6] == "missing")
        out.append(f'<p class="muted">{len(rows)} cells; {inferred} inferred, {missing} missing</p>')
        out.append(f"<h3>{_e(TABLE_TITLES.get(table, table))} <code>{_e(table)}</code></h3>{_grid(rows)}")
        detail = [[_e(r[0]), f"<code>{_e(r[1])}</code>", f"<code>{_e(r[2])}</code>", _e(r[4]), _e(r[5]),
                   _status(r[6]), _e(r[7]), _e(r[8])] for r in rows]
        out.append("<details><summary>every cell of this table</summary>" + table_html(
            ["row", "row_code", "col_code", "value", "raw text", "status", "note", "locator"], detail) + "</details>")
    if not tables:
        out.append(f'<p class="muted">No table cells were read (status {_e(head["status"])}).</p>')
    return page(title, "".join(out), root="../")


def write_site(db: Path, out: Path) -> int:
    """Write the site into ``out`` (created; pages of an earlier run are replaced); returns the pages written."""
    out = Path(out)
    (out / "reports").mkdir(parents=True, exist_ok=True)
    shutil.copytree(STATIC, out / "static", dirs_exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        (out / "index.html").write_text(index_page(con), encoding="utf-8")
        ids = [r[0] for r in con.execute("SELECT report_id FROM dim_reports ORDER BY report_id").fetchall()]
        keep = {f"{rid}.html" for rid in ids}
        for stale in (out / "reports").glob("*.html"):
            if stale.name not in keep:
                stale.unlink()
        for rid in ids:
            (out / "reports" / f"{rid}.html").write_text(report_page(con, rid), encoding="utf-8")
    finally:
        con.close()
    return len(ids) + 1
