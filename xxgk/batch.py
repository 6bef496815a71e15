"""The staging schema, and one batch of extracted reports as columnar frames.

Extraction workers turn their batch of ``ReportRecords`` into one Arrow table per staging
table (built with polars): the column building runs in parallel in the workers, and the single
writer only appends tables (xxgk/staging.py). A worker writes its batch to Arrow IPC files in a
spool folder and returns a ``SpooledBatch`` of a few bytes: results never pile up in the
orchestrator (Prefect keeps every task's return value until its flow ends, which made the flow's
memory grow by the size of each batch), and the writer memory-maps the files to load them.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from xxgk.process import process_item
from xxgk.records import PER_REPORT, SCHEMA, ReportRecords, SourceItem


@dataclass
class ExtractedBatch:
    """What one extraction task returns: an Arrow table per staging table, and how many files were unchanged."""

    frames: dict[str, pa.Table] = field(default_factory=dict)
    unchanged: int = 0
    worker: str = ""  # host:pid of the process that extracted it
    cpu: dict = field(default_factory=dict)  # CPU seconds per stage (xxgk/ingest.py says which)

    @property
    def n_reports(self) -> int:
        return self.frames["raw_reports"].num_rows if self.frames else 0


def frame(table: str, rows: list[dict]) -> pa.Table:
    """Rows (dicts, missing keys are null) → a table with exactly the staging columns of ``table``
    (polars reads the dicts itself: a Python ``row.get`` per row and column cost more than the rest)."""
    return pl.DataFrame(rows, schema=SCHEMA[table]).to_arrow()


def to_batch(results: Iterable[ReportRecords], unchanged: int = 0) -> ExtractedBatch:
    results = list({r.report["report_id"]: r for r in results}.values())  # one version per report
    frames = {"raw_reports": frame("raw_reports", [r.report for r in results])}
    for table in PER_REPORT:
        attribute = table.removeprefix("raw_")
        frames[table] = frame(table, [row for r in results for row in getattr(r, attribute)])
    return ExtractedBatch(frames, unchanged, f"{socket.gethostname()}:{os.getpid()}")


_STARTUP_CPU: list[float] = []  # a worker's CPU until it was ready (imports, warm-up): its first batch reports it


def mark_ready() -> None:
    """Called once a pool worker has imported and warmed up (xxgk/executor.py)."""
    _STARTUP_CPU.append(time.process_time())


def extract_items(items: list[SourceItem]) -> ExtractedBatch:
    """The unit of work of one extraction task, run in a worker process: files → one columnar batch,
    with the CPU each layout took (``extract``, ``reports``) and the column building's (``arrow``)."""
    results: list[ReportRecords] = []
    extract: dict[str, float] = {}
    reports: dict[str, int] = {}
    for item in items:
        started = time.process_time()
        result = process_item(item)
        layout = "unchanged" if result is None else result.report.get("layout") or result.report["status"]
        extract[layout] = extract.get(layout, 0.0) + time.process_time() - started
        reports[layout] = reports.get(layout, 0) + 1
        if result is not None:
            results.append(result)
    started = time.process_time()
    batch = to_batch(results, len(items) - len(results))
    batch.cpu = {"extract": extract, "reports": reports, "arrow": time.process_time() - started}
    if _STARTUP_CPU:
        batch.cpu["worker_startup"] = _STARTUP_CPU.pop()
    return batch


def merge_batches(parts: list[ExtractedBatch]) -> ExtractedBatch:
    """One batch from several (the pieces of a batch re-run file by file after a worker died)."""
    parts = [p for p in parts if p.frames]
    if not parts:
        return ExtractedBatch()
    frames = {name: pa.concat_tables([p.frames[name] for p in parts]) for name in parts[0].frames}
    cpu: dict = {}
    for part in parts:
        add_cpu(cpu, part.cpu)
    return ExtractedBatch(frames, sum(p.unchanged for p in parts), parts[0].worker, cpu)


def add_cpu(total: dict, cpu: dict) -> None:
    """Sum per-stage CPU figures into ``total`` (nested per layout under ``extract`` and ``reports``)."""
    for key, value in cpu.items():
        if isinstance(value, dict):
            add_cpu(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


@dataclass(frozen=True)
class SpooledBatch:
    """A batch written as one Arrow IPC file per staging table: what an extraction task returns."""

    folder: str
    name: str
    n_reports: int
    unchanged: int
    worker: str
    cpu: dict = field(default_factory=dict, compare=False)  # the batch's CPU per stage, spooling included

    def path(self, table: str) -> Path:
        return Path(self.folder) / f"{self.name}.{table}.arrow"

    def load(self) -> ExtractedBatch:
        """The batch's tables, memory-mapped (no copy until DuckDB reads them)."""
        frames = {table: pa.ipc.open_file(pa.memory_map(str(self.path(table)))).read_all() for table in SCHEMA}
        return ExtractedBatch(frames, self.unchanged, self.worker)

    def discard(self) -> None:
        for table in SCHEMA:
            self.path(table).unlink(missing_ok=True)


def spool(batch: ExtractedBatch, folder: str, name: str) -> SpooledBatch:
    """Write ``batch`` into ``folder`` (a complete file appears under its final name only when written)."""
    started = time.process_time()
    base = SpooledBatch(folder, name, batch.n_reports, batch.unchanged, batch.worker, batch.cpu)
    for table in SCHEMA:
        frame_ = batch.frames.get(table) if batch.frames else None
        if frame_ is None:
            frame_ = frame(table, [])
        target = base.path(table)
        partial = target.with_suffix(".partial")
        with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, frame_.schema) as writer:
            writer.write_table(frame_)
        partial.replace(target)
    base.cpu["spool"] = base.cpu.get("spool", 0.0) + time.process_time() - started
    return base


def extract_and_spool(extract: Callable[[list[SourceItem]], ExtractedBatch], items: list[SourceItem],
                      folder: str, name: str) -> SpooledBatch:
    """What a worker process runs for one task: extract the files, spool the batch."""
    return spool(extract(items), folder, name)
