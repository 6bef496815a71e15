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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from xxgk.process import process_batch
from xxgk.records import PER_REPORT, SCHEMA, ReportRecords, SourceItem


@dataclass
class ExtractedBatch:
    """What one extraction task returns: an Arrow table per staging table, and how many files were unchanged."""

    frames: dict[str, pa.Table] = field(default_factory=dict)
    unchanged: int = 0
    worker: str = ""  # host:pid of the process that extracted it

    @property
    def n_reports(self) -> int:
        return self.frames["raw_reports"].num_rows if self.frames else 0


def frame(table: str, rows: list[dict]) -> pa.Table:
    """Rows (dicts, missing keys are null) → a table with exactly the staging columns of ``table``."""
    schema = SCHEMA[table]
    return pl.DataFrame({name: [row.get(name) for row in rows] for name in schema}, schema=schema).to_arrow()


def to_batch(results: Iterable[ReportRecords], unchanged: int = 0) -> ExtractedBatch:
    results = list({r.report["report_id"]: r for r in results}.values())  # one version per report
    frames = {"raw_reports": frame("raw_reports", [r.report for r in results])}
    for table in PER_REPORT:
        attribute = table.removeprefix("raw_")
        frames[table] = frame(table, [row for r in results for row in getattr(r, attribute)])
    return ExtractedBatch(frames, unchanged, f"{socket.gethostname()}:{os.getpid()}")


def extract_items(items: list[SourceItem]) -> ExtractedBatch:
    """The unit of work of one extraction task, run in a worker process: files → one columnar batch."""
    results, unchanged = process_batch(items)
    return to_batch(results, unchanged)


def merge_batches(parts: list[ExtractedBatch]) -> ExtractedBatch:
    """One batch from several (the pieces of a batch re-run file by file after a worker died)."""
    parts = [p for p in parts if p.frames]
    if not parts:
        return ExtractedBatch()
    frames = {name: pa.concat_tables([p.frames[name] for p in parts]) for name in parts[0].frames}
    return ExtractedBatch(frames, sum(p.unchanged for p in parts), parts[0].worker)


@dataclass(frozen=True)
class SpooledBatch:
    """A batch written as one Arrow IPC file per staging table: what an extraction task returns."""

    folder: str
    name: str
    n_reports: int
    unchanged: int
    worker: str

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
    base = SpooledBatch(folder, name, batch.n_reports, batch.unchanged, batch.worker)
    for table in SCHEMA:
        frame_ = batch.frames.get(table) if batch.frames else None
        if frame_ is None:
            frame_ = frame(table, [])
        target = base.path(table)
        partial = target.with_suffix(".partial")
        with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, frame_.schema) as writer:
            writer.write_table(frame_)
        partial.replace(target)
    return base


def extract_and_spool(extract: Callable[[list[SourceItem]], ExtractedBatch], items: list[SourceItem],
                      folder: str, name: str) -> SpooledBatch:
    """What a worker process runs for one task: extract the files, spool the batch."""
    return spool(extract(items), folder, name)
