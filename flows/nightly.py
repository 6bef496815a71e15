"""The nightly run: crawl the sources → ingest what changed → build → export, on a Prefect schedule.

`make serve` starts a local Prefect server and serves this flow with a cron schedule in
Asia/Shanghai time; ``global_limit=1`` keeps runs from overlapping.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.ingest import _log, export_task, ingest_flow
from xxgk.crawl.state import crawl_state_path
from xxgk.records import SourceItem

NIGHTLY_CRON = "30 2 * * *"  # 02:30 in Asia/Shanghai, after publishers' evening uploads
TIMEZONE = "Asia/Shanghai"


def raw_root_for(db: Path) -> Path:
    """Where fetched bytes live, content-addressed: warehouse/raw/ab/cd/<sha256>."""
    return db.parent / "raw"


@task(name="crawl-sources", cache_policy=NO_CACHE)
def crawl_task(sources_file: str, db: str) -> list[SourceItem]:
    """Fetch listings, report pages and attachments politely; returns what to ingest."""
    from xxgk.crawl.crawler import crawl
    from xxgk.crawl.sources import load_sources

    db_path = Path(db)
    result = crawl(load_sources(Path(sources_file)), crawl_state_path(db_path), raw_root_for(db_path))
    _log(f"crawl: {len(result.documents)} documents ({len(result.changed)} changed), "
         f"{len(result.failures)} failures")
    return [
        SourceItem(
            source_uri=doc.source_uri,
            path=str(doc.path),
            publisher_hint=doc.publisher,
            fetched_at=doc.fetched_at.isoformat(),
            http_charset=doc.charset,
            name=f"report{doc.suffix}",
        )
        for doc in result.documents
    ]


@flow(name="xxgk-nightly")
def nightly_flow(
    sources_file: str = "sources.yaml",
    db: str = "warehouse/xxgk.duckdb",
    parquet_dir: str = "warehouse/parquet",
) -> dict:
    """crawl → ingest (unchanged bytes are skipped) → build → export."""
    items = crawl_task(sources_file, db)
    summary = ingest_flow(paths=[], db=db, items=items)
    summary["exported"] = export_task(db, parquet_dir)
    return summary


def serve(sources_file: str = "sources.yaml", db: str = "warehouse/xxgk.duckdb") -> None:
    """Serve the nightly deployment (needs a running Prefect server: see `make serve`)."""
    from prefect.schedules import Cron

    nightly_flow.serve(
        name="nightly",
        schedule=Cron(NIGHTLY_CRON, timezone=TIMEZONE),
        parameters={"sources_file": sources_file, "db": db},
        global_limit=1,
    )


def deployment():
    """The nightly deployment object (what `serve` registers), for inspection and tests."""
    from prefect.schedules import Cron

    return nightly_flow.to_deployment(
        name="nightly",
        schedule=Cron(NIGHTLY_CRON, timezone=TIMEZONE),
        parameters={"sources_file": "sources.yaml", "db": "warehouse/xxgk.duckdb"},
    )


if __name__ == "__main__":
    serve()
