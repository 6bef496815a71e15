"""Extraction of batches in worker processes, without Prefect: the pool, the crash re-run, the spool.

One process pool per process that runs extraction (the flow's process, or nothing on a Dask
worker, which extracts in its own thread). A batch's files are extracted and mapped in a worker
and written as Arrow files to a spool folder (xxgk/batch.py); only a small handle comes back.
A worker that dies (a segfault in a C library, the kernel's OOM killer) breaks the pool: the
batch is then re-run file by file in a private one-process pool, and a file that kills its
worker again is recorded ``worker_crashed`` while the rest of the batch loads.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import shutil
import socket
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from xxgk.batch import ExtractedBatch, SpooledBatch, extract_and_spool, extract_items, merge_batches, spool, to_batch
from xxgk.process import failed_item
from xxgk.records import SourceItem

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def new_pool(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: a forked child inherits the parent's polars/Arrow thread pools mid-state and can
    # deadlock on their locks; spawned workers import the extractors once and are reused
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def shared_pool(workers: int) -> ProcessPoolExecutor | None:
    """This process's extraction pool (None for one worker: extract in the caller's thread)."""
    global _POOL
    if workers <= 1:
        return None
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = new_pool(workers)
            atexit.register(_POOL.shutdown, cancel_futures=True)
        return _POOL


def discard_pool(pool: ProcessPoolExecutor | None = None) -> None:
    """Shut the shared pool down (a broken one, or at the end of extraction so its memory returns)."""
    global _POOL
    with _POOL_LOCK:
        pool = pool or _POOL
        if pool is None:
            return
        if _POOL is pool:
            _POOL = None
    pool.shutdown(wait=False, cancel_futures=True)


def extract_batch(items: list[SourceItem], workers: int, folder: str, name: str) -> SpooledBatch:
    """Extract and map one batch of files into Arrow files in ``folder``; a crashed worker costs one file."""
    pool = shared_pool(workers)
    if pool is None:
        return extract_and_spool(extract_items, items, folder, name)
    try:
        return pool.submit(extract_and_spool, extract_items, items, folder, name).result()
    except BrokenProcessPool:
        discard_pool(pool)
    return spool(extract_one_by_one(items), folder, name)


def extract_one_by_one(items: list[SourceItem]) -> ExtractedBatch:
    """The batch's files one at a time in a private one-process pool: a crash there is the file's own
    (another batch's crasher cannot break this pool), so the file is recorded ``worker_crashed``."""
    parts: list[ExtractedBatch] = []
    pool = new_pool(1)
    try:
        for item in items:
            try:
                parts.append(pool.submit(extract_items, [item]).result())
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool(1)
                parts.append(to_batch([failed_item(
                    item, "extract", "worker_crashed",
                    "the extraction process died while reading this file (crash or out of memory)")]))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return merge_batches(parts)


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


def rss_mb() -> float:
    """Resident memory of this (the writer's) process now, in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0
