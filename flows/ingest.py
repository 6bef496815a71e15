"""Prefect flows: ingest files (extract in parallel batches → one writer → build), export.

Prefect orchestrates; the logic lives in xxgk/ and transforms/, which run without Prefect.
Tasks take batches of hundreds of files: a task costs milliseconds, a report less.

No ``from __future__ import annotations`` here: a served deployment cloudpickles its flow by value
into a subprocess, and a by-value function keeps only the globals its code uses. Prefect validates a
subflow's parameters against its annotations in that subprocess, so a string annotation such as
``"list[SourceItem] | None"`` could no longer be resolved there (``Ingest_FlowModel is not fully
defined``); real annotation objects travel with the function.
"""

import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from common.progress import reporter
from xxgk import executor
from xxgk.batch import SpooledBatch
from xxgk.build import build_warehouse
from xxgk.export import export_parquet
from xxgk.ingest import ingest_files
from xxgk.records import SourceItem


@task(name="extract-batch", cache_policy=NO_CACHE, retries=0)
def extract_batch(items: list[SourceItem], workers: int, folder: str, name: str) -> SpooledBatch:
    """Extract and map one batch of files into Arrow files in the spool ``folder`` (xxgk/executor.py: in
    the flow's process pool, or right here when the task itself runs on a Dask worker)."""
    return executor.extract_batch(items, workers, folder, name)


@task(name="build-warehouse", cache_policy=NO_CACHE)
def build_task(db: str) -> dict[str, float]:
    return build_warehouse(Path(db))


@task(name="export-parquet", cache_policy=NO_CACHE)
def export_task(db: str, out: str) -> dict[str, int]:
    return export_parquet(Path(db), Path(out))


def _log(message: str) -> None:
    try:
        get_run_logger().info(message)
    except Exception:  # outside a run
        pass
    reporter().line(message)  # stderr; above the progress bar on a terminal


def dask_runner(address: str, workers: int = 2):
    """The task runner for extraction on Dask: ``address`` of a running scheduler, or ``local`` for a
    temporary LocalCluster of ``workers`` single-threaded processes. Workers must see the files
    (the same paths: a shared filesystem or the raw store on shared storage)."""
    from prefect_dask import DaskTaskRunner

    if address == "local":
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    return DaskTaskRunner(address=address)


# a task thread only waits for its batch in the process pool: enough threads for the whole window
# (xxgk/ingest.py WINDOW_PER_WORKER), else the workers idle while the writer checkpoints
@flow(name="xxgk-ingest", task_runner=ThreadPoolTaskRunner(max_workers=16), log_prints=False)
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
    Returns the run's summary (xxgk/outcomes.py): every file's outcome counted apart, the failed,
    not-a-report, same-bytes and skipped files listed, and the timings.
    """
    started = time.perf_counter()
    summary = ingest_files(paths, db, batch_size, workers, items, window,
                           submit=extract_batch.submit, build=build_task, log=_log)
    if export_dir:
        exporting = time.process_time()
        summary["exported"] = export_task(db, export_dir)
        summary["cpu"]["export"] = round(time.process_time() - exporting, 4)
        _log(f"export: {len(summary['exported'])} tables to {export_dir}")
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
