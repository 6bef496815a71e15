"""One ingest run, without Prefect: plan → extract in batches (worker processes) → one writer → build.

The Prefect flow (flows/ingest.py) is this run with Prefect's task submission and its build task wired
in; ``xxgk ingest`` runs it directly when no Prefect API is configured (no temporary API server is
started: it costs 7 s of CPU and of wall time, a run of 6,000 reports about as much). Batches are
submitted at most ``window`` ahead of the writer (4 per worker), so memory and the spool folder hold a
few batches whatever the corpus size. The extraction pool is started first, so its workers import and warm
up while the files are discovered and planned.

CPU per stage (``summary["cpu"]``, seconds): ``startup`` (this process's CPU before the first batch,
imports included, and each worker's until it was ready), ``extract`` per layout with the number of
reports, ``arrow`` and ``spool`` (the workers' column building and IPC writing), ``writer`` (the
staging loads), ``build``; what a whole process spends beyond these is orchestration (Prefect's).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common.progress import reporter
from xxgk import executor, staging
from xxgk.batch import add_cpu
from xxgk.outcomes import IngestOutcome
from xxgk.plan import plan_ingest
from xxgk.records import SourceItem
from xxgk.sources_local import discover

# batches extracted ahead of the writer per worker: a spooled batch waits on disk (~40 MB of Arrow files), not in
# memory, and four keep the workers busy through the writer's checkpoint of the staging file (several seconds)
WINDOW_PER_WORKER = 4

Submit = Callable[[list[SourceItem], int, str, str], object]  # -> a future with .result() -> SpooledBatch


def log_line(message: str) -> None:
    reporter().line(message)  # stderr; above the progress bar on a terminal


def ingest_files(
    paths: list[str],
    db: str = "warehouse/xxgk.duckdb",
    batch_size: int = 500,
    workers: int | None = None,
    items: list[SourceItem] | None = None,
    window: int | None = None,
    *,
    submit: Submit | None = None,
    build: Callable[[str], dict[str, float]] | None = None,
    log: Callable[[str], None] = log_line,
) -> dict:
    """Ingest files or folders into staging and rebuild the warehouse; returns the run's summary
    (xxgk/outcomes.py: every file's outcome counted apart, the lists, timings and CPU per stage).

    ``submit(items, workers, folder, name)`` runs one extraction batch and returns a future (the flow's
    Prefect task; here a thread that hands the batch to the process pool); ``build(db)`` builds the warehouse.
    """
    started = time.perf_counter()
    workers = executor.n_workers(workers)
    window = window or WINDOW_PER_WORKER * max(workers, 2)
    found = discover(paths)  # a path that does not exist stops the run here, before anything is written
    executor.start_pool(workers)  # the workers import and warm up while the run plans
    con = staging.connect(staging.staging_path(Path(db)))
    outcome = IngestOutcome()
    extraction_workers: set[str] = set()
    cpu: dict = {}
    folder = executor.spool_folder(Path(db))
    threads = None
    if submit is None:
        threads = ThreadPoolExecutor(max_workers=window, thread_name_prefix="xxgk-batch")

        def submit(batch: list[SourceItem], n_workers: int, spool: str, name: str):
            return threads.submit(executor.extract_batch, batch, n_workers, spool, name)
    try:
        plan = plan_ingest(found, con, items)
        staging.record_aliases(con, plan.same_bytes)
        outcome.add_plan(plan)
        todo = plan.items
        batches = deque(todo[i : i + batch_size] for i in range(0, len(todo), batch_size))
        n_batches = len(batches)
        log(f"ingest: {len(todo)} files to read in {n_batches} batches, {workers} workers; "
            f"{len(plan.same_bytes)} same bytes as a loaded report (not read), {len(plan.skipped)} skipped")
        cpu["startup"] = time.process_time()  # this process until its first batch: imports, planning
        pending = deque()
        done = 0
        reporter().start("ingest", len(todo), "files")
        for n in range(1, n_batches + 1):
            while batches and len(pending) < window:
                number = n_batches - len(batches)
                pending.append(submit(batches.popleft(), workers, str(folder), f"batch-{number:06d}"))
            spooled = pending.popleft().result()
            writing = time.process_time()
            batch = spooled.load()
            staging.load_batch(con, batch)
            outcome.add_batch(batch)
            spooled.discard()
            cpu["writer"] = cpu.get("writer", 0) + time.process_time() - writing
            add_cpu(cpu, dict(spooled.cpu))
            done += spooled.n_reports + spooled.unchanged
            extraction_workers.add(spooled.worker)
            reporter().advance("ingest", done=spooled.n_reports + spooled.unchanged)
            log(f"batch {n}/{n_batches}: {spooled.n_reports} read, {spooled.unchanged} unchanged "
                f"({done}/{len(todo)} files, {time.perf_counter() - started:.1f}s, rss {executor.rss_mb():.0f} MB)")
    finally:
        reporter().finish("ingest")
        con.close()
        # workers' memory back before the build; a failed or stopped run kills them; the spool folder goes
        executor.end_run(folder, failed=sys.exc_info()[0] is not None)
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)
    extract_load = time.perf_counter() - started
    building = time.process_time()
    timings = (build or _build)(db)
    cpu["build"] = time.process_time() - building
    from xxgk.build import describe_build, last_build

    log(f"build ({describe_build()}): {len(timings)} models in {sum(timings.values()):.1f}s ({db})")
    return outcome.as_dict() | {
        "build": dict(last_build),
        "extract_load_seconds": round(extract_load, 3), "build_seconds": round(sum(timings.values()), 3),
        "extraction_workers": sorted(extraction_workers), "cpu": _rounded(cpu)}


def _build(db: str) -> dict[str, float]:
    from xxgk.build import build_warehouse

    return build_warehouse(Path(db))


def _rounded(cpu: dict) -> dict:
    return {k: _rounded(v) if isinstance(v, dict) else round(v, 4) for k, v in cpu.items()}


def ingest_and_export(paths: list[str], export_dir: str | None = None, **options) -> dict:
    """``ingest_files``, then Parquet to ``export_dir`` when one is given (what ``xxgk ingest`` runs)."""
    started = time.perf_counter()
    summary = ingest_files(paths, **options)
    if export_dir:
        from xxgk.export import export_parquet

        exporting = time.process_time()
        summary["exported"] = export_parquet(Path(options.get("db", "warehouse/xxgk.duckdb")), Path(export_dir))
        summary["cpu"]["export"] = round(time.process_time() - exporting, 4)
        log_line(f"export: {len(summary['exported'])} tables to {export_dir}")
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary
