"""Extraction of batches in worker processes, without Prefect: the pool, the crash re-run, the spool.

One process pool per process that runs extraction (the flow's process, or nothing on a Dask
worker, which extracts in its own thread). A batch's files are extracted and mapped in a worker
and written as Arrow files to a spool folder (xxgk/batch.py); only a small handle comes back.
A worker that dies (a segfault in a C library, the kernel's OOM killer) breaks the pool: the
batch is then re-run file by file in a private one-process pool, and a file that kills its
worker again is recorded ``worker_crashed`` while the rest of the batch loads.

A file's time budget holds inside C code too: a pool worker arms a native watchdog per file
(xxgk/process.py ``hard_limit``) that ends the process when a file runs past its budget in code
no signal handler can interrupt (lexbor on a page nested a million deep); the re-run then records
that file as ``timeout``. Workers ignore Ctrl-C (the run stops them) and exit by themselves when the
process that started them is gone (a SIGKILLed ingest leaves no worker, and so no resource
tracker, behind). A run asked to stop (xxgk/stopping.py: SIGTERM, SIGINT) kills its workers and
re-runs no batch; its ``finally`` blocks remove its temporary files.
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import os
import shutil
import signal
import socket
import threading
import time
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from xxgk import process, stopping
from xxgk.batch import (
    ExtractedBatch,
    SpooledBatch,
    extract_and_spool,
    extract_items,
    mark_ready,
    merge_batches,
    spool,
    to_batch,
)
from xxgk.process import failed_item
from xxgk.records import SourceItem

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_PRIVATE_POOLS: set[ProcessPoolExecutor] = set()  # one-process pools of re-runs, killed on a stop too
_KILLED: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()  # broken on purpose: nothing is re-run


class RunStopped(Exception):
    """The run was asked to stop (SIGTERM/SIGINT): no batch is re-run."""


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _init_worker(parent: int) -> None:
    """A pool worker: Ctrl-C is the run's to handle, the parent's death ends it, files get a native watchdog;
    what every file needs is loaded now, while the run plans (the registry, the divisions' name index)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="xxgk-parent-watch").start()
    process.enable_hard_limit()
    process.warm_up()
    # what is loaded now stays: the collector no longer walks it; a batch makes about a million small objects
    # (cells, facts) that live until it is spooled, so collections are made rarer (3.7% of a worker's CPU -> 0.4%)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    mark_ready()


def new_pool(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: a forked child inherits the parent's polars/Arrow thread pools mid-state and can
    # deadlock on their locks; spawned workers import the extractors once and are reused
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(os.getpid(),))


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's processes now (a stopped run, a file stuck past its budget) and shut it down."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API before Python 3.14
    _KILLED.add(pool)
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.kill()
    for proc in processes:
        proc.join(5)


def kill_all_workers() -> None:
    """Kill every extraction worker of this process (a run asked to stop: xxgk/stopping.py)."""
    global _POOL
    with _POOL_LOCK:
        pools = [p for p in (_POOL, *_PRIVATE_POOLS) if p is not None]
        _POOL = None
    for pool in pools:
        kill_workers(pool)


stopping.on_stop(kill_all_workers)


def shared_pool(workers: int, folder: str | None = None) -> ProcessPoolExecutor | None:
    """This process's extraction pool (None for one worker: extract in the caller's thread)."""
    global _POOL
    if workers <= 1:
        return None
    with _POOL_LOCK:
        if stopping.stopping() or folder is not None and not os.path.isdir(folder):  # its run has ended
            raise RunStopped("the run has ended: no batch of it starts any more")
        if _POOL is None:
            _POOL = new_pool(workers)
            atexit.register(_POOL.shutdown, cancel_futures=True)
        return _POOL


def n_workers(asked: int | None = None) -> int:
    """Extraction processes for a run: as asked, else one per core, at most two."""
    return asked or min(2, os.cpu_count() or 1)


def _ready() -> int:
    return os.getpid()


def start_pool(workers: int) -> None:
    """Start the shared pool's workers now (each imports and warms up in its own process), so they are ready
    when the first batch comes; nothing for one worker."""
    if workers <= 1:
        return
    with _POOL_LOCK:
        global _POOL
        if stopping.stopping():
            return
        if _POOL is not None:  # started already (the CLI starts it before Prefect's server): its workers are coming
            return
        _POOL = new_pool(workers)
        atexit.register(_POOL.shutdown, cancel_futures=True)
        pool = _POOL
    for _ in range(workers):  # a spawn pool starts a process per submit while none is idle
        pool.submit(_ready)


def discard_pool(pool: ProcessPoolExecutor | None = None, *, kill: bool = False) -> None:
    """Shut the shared pool down (a broken one, or at the end of extraction so its memory returns);
    ``kill``: its workers are killed, not left to finish what they hold (a run that ends abnormally)."""
    global _POOL
    with _POOL_LOCK:
        pool = pool or _POOL
        if pool is None:
            return
        if _POOL is pool:
            _POOL = None
    if kill:
        kill_workers(pool)
    else:
        pool.shutdown(wait=False, cancel_futures=True)


def extract_batch(items: list[SourceItem], workers: int, folder: str, name: str) -> SpooledBatch:
    """Extract and map one batch of files into Arrow files in ``folder``; a crashed worker costs one file."""
    pool = shared_pool(workers, folder)
    if pool is None:
        return extract_and_spool(extract_items, items, folder, name)
    try:
        return pool.submit(extract_and_spool, extract_items, items, folder, name).result()
    except BrokenProcessPool:
        if stopping.stopping() or pool in _KILLED:  # the run is ending: its workers were killed on purpose
            raise RunStopped("the run is ending: its extraction workers were stopped") from None
        discard_pool(pool)
    return spool(extract_one_by_one(items, folder), folder, name)


def end_run(folder: Path | str, *, failed: bool = False) -> None:
    """The end of an ingest run: the shared pool goes (its workers killed when the run failed or was stopped,
    so nothing writes into the spool folder any more), then the spool folder, all under the pool lock: a task
    of the run that starts after that finds no folder and starts no worker (``RunStopped``)."""
    global _POOL
    with _POOL_LOCK:
        pools = [_POOL] if _POOL is not None else []
        _POOL = None
        if failed:
            pools += list(_PRIVATE_POOLS)
        for pool in pools:
            if failed:
                kill_workers(pool)
            else:
                pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(folder, ignore_errors=True)


def extract_one_by_one(items: list[SourceItem], folder: str | None = None) -> ExtractedBatch:
    """The batch's files one at a time in a private one-process pool: a crash there is the file's own
    (another batch's crasher cannot break this pool), so the file is recorded ``worker_crashed``, or
    ``timeout`` when it ran past its time budget (its worker's watchdog, or this one, stopped it)."""
    parts: list[ExtractedBatch] = []
    budget = process.file_seconds()
    pool = _private_pool(folder)
    try:
        for item in items:
            if stopping.stopping():
                raise RunStopped("the run was stopped")
            started = time.monotonic()
            try:
                parts.append(pool.submit(extract_items, [item]).result(timeout=process.hard_seconds(budget) + 30))
                continue
            except FutureTimeout:  # the worker's own watchdog did not end it: this one does
                pass
            except BrokenProcessPool:
                if stopping.stopping() or pool in _KILLED:
                    raise RunStopped("the run is ending: its extraction workers were stopped") from None
            seconds = time.monotonic() - started
            _drop_private_pool(pool)
            pool = _private_pool(folder)
            if seconds >= budget:
                failure = failed_item(item, "extract", "timeout",
                                      f"reading the file took longer than {budget:g} s; it was stopped inside native "
                                      "code, where the time limit cannot interrupt it (pathological layout?)")
            else:
                failure = failed_item(item, "extract", "worker_crashed",
                                      "the extraction process died while reading this file (crash or out of memory)")
            parts.append(to_batch([failure]))
    finally:
        _drop_private_pool(pool)
    return merge_batches(parts)


def _private_pool(folder: str | None) -> ProcessPoolExecutor:
    with _POOL_LOCK:
        if stopping.stopping() or folder is not None and not os.path.isdir(folder):  # its run has ended
            raise RunStopped("the run has ended: no batch of it starts any more")
        pool = new_pool(1)
        _PRIVATE_POOLS.add(pool)
    return pool


def _drop_private_pool(pool: ProcessPoolExecutor) -> None:
    with _POOL_LOCK:
        _PRIVATE_POOLS.discard(pool)
    kill_workers(pool)


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
