"""The nightly run: crawl the sources → ingest what changed → build → export, on a Prefect schedule.

`make serve` starts a local Prefect server and serves this flow (``python -m flows.nightly``) with a
cron schedule in Asia/Shanghai time; ``global_limit=1`` keeps runs from overlapping. A served run
executes in a subprocess that receives the flow cloudpickled *by value* (see flows/ingest.py on
what that means for annotations and module state); tests/test_served.py covers such runs.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.ingest import _log, export_task, ingest_flow
from xxgk.crawl.state import crawl_state_path
from xxgk.outcomes import render_crawl, summarize_crawl
from xxgk.records import SourceItem

NIGHTLY_CRON = "30 2 * * *"  # 02:30 in Asia/Shanghai, after publishers' evening uploads
TIMEZONE = "Asia/Shanghai"


def raw_root_for(db: Path) -> Path:
    """Where fetched bytes live, content-addressed: warehouse/raw/ab/cd/<sha256>."""
    return db.parent / "raw"


@task(name="crawl-sources", cache_policy=NO_CACHE)
def crawl_task(sources_file: str, db: str) -> tuple[list[SourceItem], dict]:
    """Fetch listings, report pages and attachments politely; returns what to ingest and the crawl's
    summary (xxgk/outcomes.py: fetched, unchanged, refused and failed by reason)."""
    from xxgk.crawl.crawler import crawl
    from xxgk.crawl.sources import load_sources

    db_path = Path(db)
    sources = load_sources(Path(sources_file))
    _log(f"crawl: {len(sources)} sources from {sources_file}, "
         f"{sum(len(s.listing_urls) for s in sources)} listing URLs")
    result = crawl(sources, crawl_state_path(db_path), raw_root_for(db_path))
    summary = summarize_crawl(result)
    for line in render_crawl(summary).splitlines():
        _log(line)
    items = [
        SourceItem(
            source_uri=doc.source_uri,
            path=str(doc.path),
            publisher_hint=doc.publisher,
            fetched_at=doc.fetched_at.isoformat(),
            http_charset=doc.charset,
            name=f"report{doc.suffix}",
            sha256=doc.sha256,
        )
        for doc in result.documents
    ]
    return items, summary


@flow(name="xxgk-nightly")
def nightly_flow(
    sources_file: str = "sources.yaml",
    db: str = "warehouse/xxgk.duckdb",
    parquet_dir: str = "warehouse/parquet",
    export: bool = True,
) -> dict:
    """crawl → ingest (unchanged bytes are skipped) → build → export (unless ``export`` is false)."""
    items, crawled = crawl_task(sources_file, db)
    summary = ingest_flow(paths=[], db=db, items=items)
    summary["crawl"] = crawled
    if export:
        summary["exported"] = export_task(db, parquet_dir)
        _log(f"export: {len(summary['exported'])} tables to {parquet_dir}")
    return summary


def _deployment_options(sources_file: str, db: str, parquet_dir: str) -> dict:
    from prefect.schedules import Cron

    return {
        "name": "nightly",
        "schedule": Cron(NIGHTLY_CRON, timezone=TIMEZONE),
        "parameters": {"sources_file": sources_file, "db": db, "parquet_dir": parquet_dir},
    }


def serve(
    sources_file: str = "sources.yaml",
    db: str = "warehouse/xxgk.duckdb",
    parquet_dir: str = "warehouse/parquet",
) -> None:
    """Serve the nightly deployment until stopped (needs a running Prefect server and
    ``PREFECT_API_URL`` pointing at it: see `make serve`). Each run executes in a subprocess
    of this process; relative paths are relative to this process's working directory."""
    nightly_flow.serve(**_deployment_options(sources_file, db, parquet_dir), global_limit=1)


def deployment(
    sources_file: str = "sources.yaml",
    db: str = "warehouse/xxgk.duckdb",
    parquet_dir: str = "warehouse/parquet",
):
    """The nightly deployment object (what `serve` registers), for inspection and tests."""
    return nightly_flow.to_deployment(**_deployment_options(sources_file, db, parquet_dir))


def main(argv: list[str] | None = None) -> None:
    """``python -m flows.nightly [--sources FILE] [--db FILE] [--parquet DIR]``: what `make serve` runs."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m flows.nightly", description=main.__doc__)
    parser.add_argument("--sources", default="sources.yaml", help="the sources registry (default: sources.yaml)")
    parser.add_argument("--db", default="warehouse/xxgk.duckdb", help="the warehouse (default: warehouse/xxgk.duckdb)")
    parser.add_argument("--parquet", default="warehouse/parquet", help="the Parquet export folder")
    args = parser.parse_args(argv)
    serve(args.sources, args.db, args.parquet)


if __name__ == "__main__":
    main()
