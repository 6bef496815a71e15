"""The ``xxgk`` command: ingest, crawl, sources check, forget, build, export, check, show, report, summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_DB = "warehouse/xxgk.duckdb"
DEFAULT_PARQUET = "warehouse/parquet"


def _prefect_env() -> None:
    """Quiet, local Prefect defaults (a temporary API server per process unless one is configured)."""
    os.environ.setdefault("PREFECT_HOME", str(Path.cwd() / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def prefect_api_configured() -> bool:
    """A Prefect API to record runs on: ``PREFECT_API_URL`` in the environment or in the active profile
    (``prefect config set``); read without importing Prefect."""
    if os.environ.get("PREFECT_API_URL", "").strip():
        return True
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect") / "profiles.toml")
    try:
        return "PREFECT_API_URL" in profiles.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def summarize(db: Path) -> str:
    """Reports per template and layout, failed checks and errors, as printed by ``make run``."""
    import duckdb

    from xxgk.stamps import export_state

    con = duckdb.connect(str(db), read_only=True)
    try:
        lines = ["reports (template × layout × status):"]
        for tpl, layout, status, n in con.execute(
            "SELECT coalesce(template_version, '-'), coalesce(layout, '-'), status, count(*)"
            " FROM dim_reports GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            lines.append(f"  {tpl:8} {layout:10} {status:10} {n}")
        counts = con.execute(
            "SELECT (SELECT count(*) FROM fct_proactive_disclosure), (SELECT count(*) FROM fct_applications),"
            " (SELECT count(*) FROM fct_admin_reviews), (SELECT count(*) FROM fct_litigation)"
        ).fetchone()
        lines.append("fact rows: proactive {} · applications {} · admin_reviews {} · litigation {}".format(*counts))
        lines.append("checks (status: count):")
        for status, n in con.execute(
            "SELECT status, count(*) FROM dq_check_results GROUP BY ALL ORDER BY ALL"
        ).fetchall():
            lines.append(f"  {status:15} {n}")
        aliases = con.execute("SELECT reason, count(*) FROM report_aliases GROUP BY ALL ORDER BY ALL").fetchall()
        rivals = con.execute("SELECT count(*) FROM dim_reports WHERE rival_reports > 0 AND is_counted").fetchone()[0]
        lines.append("aliases (URIs holding another URI's report): "
                     + (", ".join(f"{reason} {n}" for reason, n in aliases) if aliases else "none"))
        lines.append(f"publisher-years with rival reports (one counted each): {rivals}")
        errors = con.execute("SELECT error_code, count(*) FROM ingest_errors GROUP BY ALL ORDER BY ALL").fetchall()
        lines.append("ingest errors: " + (", ".join(f"{c} {n}" for c, n in errors) if errors else "none"))
        lines.append(export_state(con).describe())  # whether the Parquet comes from this build
        return "\n".join(lines)
    finally:
        con.close()


def _error(message: str) -> None:
    print(f"xxgk: error: {message}", file=sys.stderr)


def _utf8_or_exit(path: Path, option: str) -> None:
    """Where the run writes must be a UTF-8 path (Prefect sends flow parameters as JSON)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise SystemExit(f"xxgk: error: {option} {os.fsencode(path).decode('utf-8', 'backslashreplace')}: "
                         "not valid UTF-8; choose a path with a UTF-8 name") from None


def cmd_ingest(args: argparse.Namespace) -> int:
    """Exit 0; 1 with ``--strict`` when a file failed; 2 when a path does not exist (nothing runs)."""
    from xxgk.outcomes import render_ingest
    from xxgk.sources_local import missing_paths

    missing = missing_paths(args.paths)
    if missing:
        for path in missing:
            _error(f"no such file or folder: {path}")
        _error("nothing was ingested")
        return 2
    _prefect_env()
    from common.progress import reporting
    from xxgk.export import ExportError, check_export_target
    from xxgk.sources_local import path_argument

    _utf8_or_exit(args.db, "--db")
    if args.export:
        _utf8_or_exit(args.export, "--export")
        try:  # refused before ingesting, not after
            check_export_target(Path(args.db), args.export)
        except ExportError as exc:
            print(f"xxgk: export refused: {exc}", file=sys.stderr)
            return 2
    from xxgk.console import progress_for

    paths = [path_argument(p) for p in args.paths]
    options = dict(db=str(args.db), batch_size=args.batch_size, workers=args.workers,
                   export_dir=str(args.export) if args.export else None)
    with progress_for() as bar, reporting(bar):  # a bar with rate and ETA on a terminal, plain lines in a log
        if args.dask or args.prefect or prefect_api_configured():
            if not args.dask:  # the workers import and warm up while Prefect starts its API server
                from xxgk import executor

                executor.start_pool(executor.n_workers(args.workers))
            from flows.ingest import run_ingest

            summary = run_ingest(paths, dask_address=args.dask, **options)
        else:  # the same run without Prefect: no temporary API server to start (xxgk/ingest.py)
            from xxgk.ingest import ingest_and_export

            summary = ingest_and_export(paths, **options)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(render_ingest(summary))
        print(summarize(Path(args.db)))
    if args.strict and summary["failed"]:
        print(f"xxgk ingest --strict: exit 1, failed files: {summary['failed']}", file=sys.stderr)
        return 1
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    """One run of the nightly's work: crawl, ingest what changed, build, export (unless --no-export)."""
    from xxgk.outcomes import render_crawl, render_ingest
    from xxgk.sources_check import check_sources

    sources, problems = check_sources(args.sources)
    if sources is None:
        _error(f"invalid sources registry {args.sources}; nothing was fetched:")
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    _prefect_env()
    from common.progress import reporting
    from flows.nightly import nightly_flow
    from xxgk.console import progress_for

    with progress_for() as bar, reporting(bar):  # a bar with rate and ETA on a terminal, plain lines in a log
        summary = nightly_flow(sources_file=str(args.sources), db=str(args.db), parquet_dir=str(args.out),
                               export=not args.no_export)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    print(render_crawl(summary["crawl"]))
    print(render_ingest(summary))
    if summary.get("exported") is not None:
        print(f"exported {len(summary['exported'])} tables to {args.out}")
    print(summarize(Path(args.db)))
    return 0


def cmd_sources_check(args: argparse.Namespace) -> int:
    """Exit 0 for a valid registry, 1 for an invalid one, 2 when the file does not exist."""
    from xxgk.sources_check import check_sources, describe_sources

    if not args.file.is_file():
        _error(f"no such sources file: {args.file}")
        return 2
    sources, problems = check_sources(args.file)
    if sources is None:
        _error(f"{args.file} is not a valid sources registry ({len(problems)} problems):")
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    hosts = sorted({h for s in sources for h in s.allowed_hosts})
    print(f"{args.file}: valid, {len(sources)} sources, {len(hosts)} hosts")
    print("a crawl fetches first robots.txt of each host, then the listing pages (this check fetched nothing):")
    print("\n".join(describe_sources(sources)))
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    """Remove reports (or aliases) from staging by source URI, keep their history, rebuild the warehouse."""
    from xxgk import staging
    from xxgk.build import build_warehouse
    from xxgk.records import source_uri_for

    stage = staging.staging_path(Path(args.db))
    if not stage.exists():
        _error(f"no staging database at {stage}: nothing to forget")
        return 2
    con = staging.connect(stage)
    try:
        known = {r[0] for r in con.execute("SELECT source_uri FROM raw_reports UNION SELECT source_uri FROM raw_aliases"
                                           ).fetchall()}
        # a local path may be given for the file URI it was ingested under
        uris = [u if u in known or not Path(u).exists() else source_uri_for(Path(u)) for u in args.uris]
        unknown, done = staging.forget(con, uris)
    finally:
        con.close()
    if unknown:
        for uri in unknown:
            _error(f"not in staging (neither a report nor an alias): {uri}")
        _error("nothing was forgotten")
        return 2
    print("\n".join(done))
    timings = build_warehouse(Path(args.db))
    print(f"rebuilt {args.db}: {len(timings)} models")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from xxgk.build import build_warehouse, describe_build

    timings = build_warehouse(Path(args.db), incremental=not args.full)
    print(f"built {args.db} ({describe_build()}): {len(timings)} models in {sum(timings.values()):.2f}s")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from xxgk.export import ExportError, export_parquet

    try:
        counts = export_parquet(Path(args.db), Path(args.out))
    except ExportError as exc:
        print(f"xxgk: export refused: {exc}", file=sys.stderr)
        return 2
    for table, n in counts.items():
        print(f"{table:28} {n:>10} rows")
    return 0


def _open(db: Path):
    import duckdb

    if not Path(db).exists():
        _error(f"no warehouse at {db}: ingest something first")
        return None
    return duckdb.connect(str(db), read_only=True)


def cmd_check(args: argparse.Namespace) -> int:
    """Checks grouped by check and status (the most frequent reasons a check was not assessable), the failing
    checks (--failing) or one report's (--report). Exit 0, or 1 with --fail-on LEVEL when a check of that
    severity or above fails; 2 when the warehouse or the report does not exist."""
    from xxgk import inspect
    from xxgk.console import print_table

    con = _open(args.db)
    if con is None:
        return 2
    try:
        report_id = None
        if args.report:
            report_id = inspect.resolve_report(con, args.report)
            if report_id is None:
                _error(f"no report {args.report!r} (neither a report_id, a source URI nor an alias)")
                return 2
            head = inspect.report_header(con, report_id)
            print(f"report {report_id}: {head['publisher_name'] or '?'} {head['report_year'] or ''} "
                  f"({head['status']}) {head['source_uri']}")
        groups = inspect.check_groups(con, report_id)
        totals = [sum(g[i] for g in groups) for i in (2, 3, 4)]
        print_table(f"checks by code and status ({sum(totals)} checks; pass {totals[0]}, fail {totals[1]}, "
                    f"not_assessable {totals[2]})",
                    ["check_code", "severity", "pass", "fail", "not_assessable", "reports_not_pass"], groups,
                    numeric=["pass", "fail", "not_assessable", "reports_not_pass"])
        reasons = inspect.not_assessable_reasons(con, report_id)
        if reasons and not args.report:
            print_table("not assessable, most frequent reasons (the terms that are not a reported number):",
                        ["check_code", "reason", "checks", "reports"], reasons, numeric=["checks", "reports"])
        if args.failing or args.report:
            rows = inspect.check_rows(con, report_id=report_id, failing=args.failing)
            title = "failing checks:" if args.failing else "checks of this report:"
            print_table(title, ["publisher", "year", "check_code", "scope", "expected", "actual", "status",
                                "severity", "reason"], rows, numeric=["expected", "actual"])
        elif totals[1]:
            print(f"{totals[1]} checks fail: `xxgk check --failing` lists them, `xxgk check --report ID` one report's")
        failing = inspect.failing_at(con, args.fail_on, report_id) if args.fail_on else 0
    finally:
        con.close()
    if failing:
        print(f"xxgk check --fail-on {args.fail_on}: exit 1, {failing} checks of severity {args.fail_on} or above "
              f"fail", file=sys.stderr)
        return 1
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """One report's tables as read: every cell with its value, raw text, status, note and locator."""
    from xxgk import inspect
    from xxgk.console import print_table

    con = _open(args.db)
    if con is None:
        return 2
    try:
        report_id = inspect.resolve_report(con, args.report)
        if report_id is None:
            _error(f"no report {args.report!r} (neither a report_id, a source URI nor an alias)")
            return 2
        head = inspect.report_header(con, report_id)
        for key, value in head.items():
            print(f"{key:17} {'' if value is None else value}")
        tables = inspect.report_cells(con, report_id)
        titles = dict(con.execute("SELECT code, label_zh FROM labels WHERE code_kind = 'table'").fetchall())
        for table, rows in tables.items():
            print()
            print_table(f"{table}: {titles.get(table, '')} ({len(rows)} cells)",
                        ["row", "row_code", "col_code", "column", "value", "raw_text", "status", "note", "locator"],
                        rows)
        if not tables:
            print("\n(no table cells: status " + str(head["status"]) + ")")
    finally:
        con.close()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The static HTML report (xxgk/site/): coverage, rates, refusal grounds, checks, a page per report."""
    from xxgk.site import write_site

    if not Path(args.db).exists():
        _error(f"no warehouse at {args.db}: ingest something first")
        return 2
    pages = write_site(Path(args.db), Path(args.out))
    print(f"wrote {pages} pages to {args.out} (open {Path(args.out) / 'index.html'})")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    print(summarize(Path(args.db)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xxgk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="ingest report files or folders (a Prefect flow; idempotent)",
                            description="Ingest report files or folders. Prints progress on stderr and a summary on "
                                        "stdout. Exit 0; 1 with --strict when a file failed; 2 when a path does not "
                                        "exist (nothing is read or written).")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    ingest.add_argument("--batch-size", type=int, default=500, help="files per extraction task (a Prefect task costs a few hundred ms)")
    ingest.add_argument("--workers", type=int, default=None, help="extraction processes (default: cores, max 2)")
    ingest.add_argument("--export", type=Path, default=None, help="also export Parquet to this folder")
    ingest.add_argument("--dask", default=None, metavar="ADDRESS",
                        help="extract on the Dask scheduler at ADDRESS (tcp://host:8786), or 'local' for a "
                             "temporary LocalCluster of --workers processes; loading stays in this process")
    ingest.add_argument("--prefect", action="store_true",
                        help="run as a Prefect flow even when no Prefect API is configured (Prefect then starts a "
                             "temporary API server, about 7 s, and records the run under PREFECT_HOME); with "
                             "PREFECT_API_URL set, or with --dask, the run is a Prefect flow anyway")
    ingest.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    ingest.add_argument("--strict", action="store_true", help="exit 1 when any file failed")
    ingest.set_defaults(func=cmd_ingest)

    crawl = sub.add_parser("crawl", help="crawl the sources, ingest what changed, build, export (the nightly, once)",
                           description="One run of the nightly's work: crawl the sources registry, ingest what "
                                       "changed, rebuild the warehouse and export Parquet. Progress on stderr, "
                                       "summary on stdout. Exit 2 when the registry is invalid (nothing is fetched).")
    crawl.add_argument("--sources", type=Path, default=Path("sources.yaml"), help="the sources registry")
    crawl.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    crawl.add_argument("--out", type=Path, default=Path(DEFAULT_PARQUET), help="the Parquet export folder")
    crawl.add_argument("--no-export", action="store_true", help="do not export Parquet")
    crawl.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    crawl.set_defaults(func=cmd_crawl)

    sources = sub.add_parser("sources", help="the sources registry: `xxgk sources check [FILE]`")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True)
    check_sources = sources_sub.add_parser(
        "check", help="validate a sources registry and print what a crawl would fetch first (fetches nothing)",
        description="Validate a sources registry (every problem with its line and key) and print, per publisher, "
                    "the allowed hosts, robots.txt and listing URLs a crawl fetches first. Fetches nothing. "
                    "Exit 0 valid, 1 invalid, 2 no such file.")
    check_sources.add_argument("file", type=Path, nargs="?", default=Path("sources.yaml"))
    check_sources.set_defaults(func=cmd_sources_check)

    forget = sub.add_parser("forget", help="remove reports from staging by source URI (history kept) and rebuild",
                            description="Remove reports or aliases by their source URI (a local path is taken as "
                                        "its file URI). Their history stays in report_history, marked forgotten. "
                                        "Unknown URIs are an error (exit 2) and nothing is forgotten.")
    forget.add_argument("uris", nargs="+", metavar="URI")
    forget.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    forget.set_defaults(func=cmd_forget)

    build = sub.add_parser("build", help="rebuild the warehouse from staging (atomic swap): only the changed "
                                         "reports when the models and registry are those it was built with")
    build.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    build.add_argument("--full", action="store_true", help="rebuild every table from staging (no incremental build)")
    build.set_defaults(func=cmd_build)

    export = sub.add_parser("export", help="export Parquet datasets partitioned by report_year")
    export.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    export.add_argument("--out", type=Path, default=Path(DEFAULT_PARQUET))
    export.set_defaults(func=cmd_export)

    check = sub.add_parser("check", help="checks grouped by check and status; --failing, --report, --fail-on",
                           description="Checks grouped by check and status, with the most frequent reasons a check "
                                       "was not assessable. Exit 0; 1 with --fail-on LEVEL when a check of that "
                                       "severity or above fails (for CI); 2 when the report does not exist.")
    check.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    check.add_argument("--failing", action="store_true", help="list every failing check with its reason")
    check.add_argument("--report", metavar="ID|URI", help="one report's checks (report_id, source URI or file path)")
    check.add_argument("--fail-on", choices=["error", "warning", "info"], default=None,
                       help="exit 1 when a check of this severity or above fails")
    check.set_defaults(func=cmd_check)

    show = sub.add_parser("show", help="one report's tables as read: each cell's value, raw text, status, locator")
    show.add_argument("report", metavar="REPORT", help="report_id, source URI, alias URI or file path")
    show.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    show.set_defaults(func=cmd_show)

    report = sub.add_parser("report", help="write the static HTML report (works offline)",
                            description="A static HTML site: coverage by province and year, disclosure and "
                                        "correction rates, refusal grounds, failing checks, and a page per report.")
    report.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    report.add_argument("--out", type=Path, default=Path("warehouse/report"))
    report.set_defaults(func=cmd_report)

    summary = sub.add_parser("summary", help="reports per template and layout, checks, errors")
    summary.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    summary.set_defaults(func=cmd_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    from xxgk.stopping import install_stop_handlers

    args = build_parser().parse_args(argv)
    install_stop_handlers()  # SIGTERM/SIGINT: workers killed, temporary files removed, exit 130/143
    if args.command == "ingest":
        from xxgk.reaper import start_reaper

        start_reaper()  # even a SIGKILLed ingest leaves no server, worker or tracker running
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:
        signal_name = str(exc) or "stopped by SIGINT"
        print(f"xxgk: {signal_name}; workers stopped, temporary files removed", file=sys.stderr)
        return 143 if "SIGTERM" in signal_name else 130


if __name__ == "__main__":
    sys.exit(main())
