"""Prefect flows: ingest files (extract in parallel batches → one writer → build), export.

Prefect orchestrates; the logic lives in xxgk/ and transforms/, which run without Prefect.
Tasks take batches of hundreds of files: a task costs milliseconds, a report less.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from xxgk import staging
from xxgk.build import build_warehouse
from xxgk.export import export_parquet
from xxgk.process import EXTRACTOR_VERSION, SourceItem, process_batch, source_uri_for
from xxgk.sources_local import discover_files

_POOL: ProcessPoolExecutor | None = None


def _pool(workers: int) -> ProcessPoolExecutor | None:
    """One process pool per flow process for CPU-bound extraction (None: extract in the task's thread)."""
    global _POOL
    if workers <= 1:
        return None
    if _POOL is None:
        _POOL = ProcessPoolExecutor(max_workers=workers)
    return _POOL


@task(name="extract-batch", cache_policy=NO_CACHE, retries=0)
def extract_batch(items: list[SourceItem], workers: int = 1):
    """Extract and map one batch of files; returns (records, unchanged count)."""
    pool = _pool(workers)
    if pool is None:
        return process_batch(items)
    return pool.submit(process_batch, items).result()


@task(name="build-warehouse", cache_policy=NO_CACHE)
def build_task(db: str) -> dict[str, float]:
    return build_warehouse(Path(db))


@task(name="export-parquet", cache_policy=NO_CACHE)
def export_task(db: str, out: str) -> dict[str, int]:
    return export_parquet(Path(db), Path(out))


def plan_items(paths: list[str], con, items: list[SourceItem] | None = None) -> list[SourceItem]:
    """Source items for the given paths, each carrying the sha256 staging already holds for it."""
    known = staging.known_versions(con)
    items = list(items or []) + [SourceItem(source_uri_for(p), str(p)) for p in discover_files(paths)]
    for item in items:
        sha, version = known.get(item.source_uri, (None, None))
        item.known_sha256 = sha if version == EXTRACTOR_VERSION else None
    return items


def _log(message: str) -> None:
    try:
        get_run_logger().info(message)
    except Exception:  # outside a run
        pass
    print(message, file=sys.stderr, flush=True)


@flow(name="xxgk-ingest", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)
def ingest_flow(
    paths: list[str],
    db: str = "warehouse/xxgk.duckdb",
    batch_size: int = 200,
    workers: int | None = None,
    export_dir: str | None = None,
    items: list[SourceItem] | None = None,
) -> dict:
    """Ingest files or folders into staging, rebuild the warehouse, optionally export Parquet."""
    started = time.perf_counter()
    workers = workers or min(2, os.cpu_count() or 1)
    con = staging.connect(staging.staging_path(Path(db)))
    try:
        todo = plan_items(paths, con, items)
        batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
        _log(f"ingest: {len(todo)} files in {len(batches)} batches, {workers} workers")
        futures = [extract_batch.submit(batch, workers) for batch in batches]
        loaded = unchanged = 0
        for n, future in enumerate(futures, start=1):
            records, same = future.result()
            loaded += staging.load_batch(con, records)
            unchanged += same
            _log(f"batch {n}/{len(batches)}: {len(records)} loaded, {same} unchanged "
                 f"({loaded + unchanged}/{len(todo)} files, {time.perf_counter() - started:.1f}s)")
    finally:
        con.close()
    extract_load = time.perf_counter() - started
    timings = build_task(db)
    summary = {"files": len(todo), "loaded": loaded, "unchanged": unchanged,
               "extract_load_seconds": round(extract_load, 3), "build_seconds": round(sum(timings.values()), 3)}
    if export_dir:
        summary["exported"] = export_task(db, export_dir)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


@flow(name="xxgk-export")
def export_flow(db: str = "warehouse/xxgk.duckdb", out: str = "warehouse/parquet") -> dict[str, int]:
    return export_task(db, out)
