"""Prefect flows: ingest files (extract in parallel batches → one writer → build), export.

Prefect orchestrates; the logic lives in xxgk/ and transforms/, which run without Prefect.
Tasks take batches of hundreds of files: a task costs milliseconds, a report less.

No ``from __future__ import annotations`` here: a served deployment cloudpickles its flow by value
into a subprocess, and a by-value function keeps only the globals its code uses. Prefect validates a
subflow's parameters against its annotations in that subprocess, so a string annotation such as
``"list[SourceItem] | None"`` could no longer be resolved there (``Ingest_FlowModel is not fully
defined``); real annotation objects travel with the function.
"""

import atexit
import multiprocessing
import os
import shutil
import socket
import sys
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from xxgk import staging
from xxgk.batch import ExtractedBatch, SpooledBatch, extract_and_spool, extract_items, merge_batches, spool, to_batch
from xxgk.build import build_warehouse
from xxgk.export import export_parquet
from xxgk.process import EXTRACTOR_VERSION, SourceItem, failed_item, source_uri_for
from xxgk.sources_local import discover_files

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _discard_pool(pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool (the next task makes a new one); another task may have done it already."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is pool:
            _POOL = None
    pool.shutdown(wait=False, cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor | None:
    """One process pool per flow process for CPU-bound extraction (None: extract in the task's thread)."""
    global _POOL
    if workers <= 1:
        return None
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = _new_pool(workers)
            atexit.register(_POOL.shutdown, cancel_futures=True)
        return _POOL


def _shutdown_pool() -> None:
    """Shut this process's extraction pool down (the workers' memory goes back before the build).

    The flow calls this function rather than reading ``_POOL`` itself: a served run gets the flow's
    function cloudpickled *by value*, with a private copy of the globals it names, where ``_POOL``
    stays None forever. The pool then outlived the run, and the run's process hung at exit joining
    its workers (multiprocessing joins its children before any atexit handler runs)."""
    if _POOL is not None:
        _discard_pool(_POOL)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: a forked child inherits the parent's polars/Arrow thread pools mid-state and can
    # deadlock on their locks; spawned workers import the extractors once and are reused
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


@task(name="extract-batch", cache_policy=NO_CACHE, retries=0)
def extract_batch(items: list[SourceItem], workers: int, folder: str, name: str) -> SpooledBatch:
    """Extract and map one batch of files into Arrow files in the spool ``folder`` (in the flow's
    process pool, or right here when the task itself runs on a Dask worker).

    A worker process that dies (a segfault in a C library, the kernel's OOM killer) breaks the
    pool: the batch is then re-run file by file in fresh pools, and a file that kills its worker
    again is recorded as failed (``worker_crashed``) while the rest of the batch loads.
    """
    pool = _pool(workers)
    if pool is None:
        return extract_and_spool(extract_items, items, folder, name)
    try:
        return pool.submit(extract_and_spool, extract_items, items, folder, name).result()
    except BrokenProcessPool:
        _discard_pool(pool)
    return spool(_extract_one_by_one(items), folder, name)


def _extract_one_by_one(items: list[SourceItem]) -> ExtractedBatch:
    """The batch's files one at a time in a private one-process pool: a crash there is the file's own
    (another batch's crasher cannot break this pool), so the file is recorded ``worker_crashed``."""
    parts: list[ExtractedBatch] = []
    pool = _new_pool(1)
    try:
        for item in items:
            try:
                parts.append(pool.submit(extract_items, [item]).result())
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _new_pool(1)
                parts.append(to_batch([failed_item(
                    item, "extract", "worker_crashed",
                    "the extraction process died while reading this file (crash or out of memory)")]))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return merge_batches(parts)


@task(name="build-warehouse", cache_policy=NO_CACHE)
def build_task(db: str) -> dict[str, float]:
    return build_warehouse(Path(db))


@task(name="export-parquet", cache_policy=NO_CACHE)
def export_task(db: str, out: str) -> dict[str, int]:
    return export_parquet(Path(db), Path(out))


def plan_items(paths: list[str], con, items: list[SourceItem] | None = None) -> list[SourceItem]:
    """Source items for the given paths, each carrying the sha256 staging already holds for it."""
    known = staging.known_versions(con)
    listed = list(items or []) + [SourceItem(source_uri_for(p), str(p)) for p in discover_files(paths)]
    items = list({item.source_uri: item for item in listed}.values())  # a file named twice is read once
    for item in items:
        sha, version = known.get(item.source_uri, (None, None))
        item.known_sha256 = sha if version == EXTRACTOR_VERSION else None
    return items


def spool_folder(db: Path) -> Path:
    """Where this run's extraction tasks leave their batches (beside the warehouse; Dask workers on
    other machines need it on shared storage). Folders of killed runs of this host are removed by
    its next run (a folder is named for its host and process; other hosts' folders are left alone)."""
    host = socket.gethostname().replace("-", "_")
    for stale in db.parent.glob(f".{db.name}.spool-{host}-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not (pid.isdigit() and Path(f"/proc/{pid}").exists()):
            shutil.rmtree(stale, ignore_errors=True)
    folder = db.parent / f".{db.name}.spool-{host}-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _rss_mb() -> float:
    """Resident memory of this (the writer's) process now, in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def _log(message: str) -> None:
    try:
        get_run_logger().info(message)
    except Exception:  # outside a run
        pass
    print(message, file=sys.stderr, flush=True)


def dask_runner(address: str, workers: int = 2):
    """The task runner for extraction on Dask: ``address`` of a running scheduler, or ``local`` for a
    temporary LocalCluster of ``workers`` single-threaded processes. Workers must see the files
    (the same paths: a shared filesystem or the raw store on shared storage)."""
    from prefect_dask import DaskTaskRunner

    if address == "local":
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    return DaskTaskRunner(address=address)


@flow(name="xxgk-ingest", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)
def ingest_flow(
    paths: list[str],
    db: str = "warehouse/xxgk.duckdb",
    batch_size: int = 500,
    workers: int | None = None,
    export_dir: str | None = None,
    items: list[SourceItem] | None = None,
    window: int | None = None,
) -> dict:
    """Ingest files or folders into staging, rebuild the warehouse, optionally export Parquet.

    Batches are submitted to the task runner at most ``window`` ahead of the writer, so memory
    holds a few batches whatever the corpus size. Run it with ``run_ingest(..., dask_address=...)``
    to extract on a Dask cluster; loading and the build always stay in this process (one writer).
    """
    started = time.perf_counter()
    workers = workers or min(2, os.cpu_count() or 1)
    window = window or 2 * max(workers, 2)
    con = staging.connect(staging.staging_path(Path(db)))
    loaded = unchanged = 0
    extraction_workers: set[str] = set()
    folder = spool_folder(Path(db))
    try:
        todo = plan_items(paths, con, items)
        batches = deque(todo[i : i + batch_size] for i in range(0, len(todo), batch_size))
        n_batches = len(batches)
        _log(f"ingest: {len(todo)} files in {n_batches} batches, {workers} workers")
        pending = deque()
        for n in range(1, n_batches + 1):
            while batches and len(pending) < window:
                number = n_batches - len(batches)
                pending.append(extract_batch.submit(batches.popleft(), workers, str(folder), f"batch-{number:06d}"))
            spooled = pending.popleft().result()
            loaded += staging.load_batch(con, spooled.load())
            spooled.discard()
            unchanged += spooled.unchanged
            extraction_workers.add(spooled.worker)
            _log(f"batch {n}/{n_batches}: {spooled.n_reports} loaded, {spooled.unchanged} unchanged "
                 f"({loaded + unchanged}/{len(todo)} files, {time.perf_counter() - started:.1f}s, "
                 f"rss {_rss_mb():.0f} MB)")
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
        _shutdown_pool()
    extract_load = time.perf_counter() - started
    timings = build_task(db)
    summary = {"files": len(todo), "loaded": loaded, "unchanged": unchanged,
               "extract_load_seconds": round(extract_load, 3), "build_seconds": round(sum(timings.values()), 3),
               "extraction_workers": sorted(extraction_workers)}
    if export_dir:
        summary["exported"] = export_task(db, export_dir)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def run_ingest(paths: list[str], dask_address: str | None = None, **options) -> dict:
    """``ingest_flow``, its extraction on the Dask cluster at ``dask_address`` when one is given."""
    if not dask_address:
        return ingest_flow(paths, **options)
    workers = options.pop("workers", None) or 2
    flow_on_dask = ingest_flow.with_options(task_runner=dask_runner(dask_address, workers))
    return flow_on_dask(paths, workers=1, window=options.pop("window", None) or 2 * workers, **options)


@flow(name="xxgk-export")
def export_flow(db: str = "warehouse/xxgk.duckdb", out: str = "warehouse/parquet") -> dict[str, int]:
    return export_task(db, out)
