"""A file that hangs or kills its extraction worker becomes an ingest error; the rest of its batch loads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from xxgk import process
from xxgk.batch import extract_items
from xxgk.process import process_item
from xxgk.records import SourceItem, source_uri_for


def extract_or_die(items):
    """Stands in for the worker's function: the process exits abruptly (like a segfault) on a 'crash' file."""
    if any(item.path.endswith("crash.txt") for item in items):
        os._exit(3)
    return extract_items(items)


def test_a_file_over_its_time_budget_is_a_timeout_error(monkeypatch, tmp_path):
    def spin(*args, **kwargs):
        while True:
            pass

    monkeypatch.setattr(process, "FILE_SECONDS", 0.3)
    monkeypatch.setattr(process, "read_bytes", spin)
    path = shutil.copy(SAMPLES / "000_4742d3cb85c1027b.txt", tmp_path / "slow.txt")
    records = process_item(SourceItem(source_uri_for(tmp_path / "slow.txt"), str(path)))
    assert records.report["status"] == "failed"
    assert [(e["stage"], e["error_code"]) for e in records.errors] == [("extract", "timeout")]
    assert "0.3 s" in records.errors[0]["message"] and records.report["sha256"]


@pytest.mark.slow
def test_a_file_that_kills_its_worker_fails_alone(monkeypatch, tmp_path):
    from xxgk import executor

    seeds = sorted(SAMPLES.glob("*.txt"))[:3]  # three seeds that load fully; the crash file sits second
    files = [Path(shutil.copy(seed, tmp_path / seed.name)) for seed in seeds]
    (tmp_path / "crash.txt").write_text("whatever", encoding="utf-8")
    files.insert(1, tmp_path / "crash.txt")
    items = [SourceItem(source_uri_for(p), str(p)) for p in files]

    monkeypatch.setattr(executor, "extract_items", extract_or_die)
    try:
        spooled = executor.extract_batch(items, 2, str(tmp_path), "batch-000001")
        batch = spooled.load()
    finally:
        executor.discard_pool()
    reports = batch.frames["raw_reports"].to_pylist()
    assert [r["source_uri"].rsplit("/", 1)[1] for r in reports] == [p.name for p in files]
    assert [r["status"] for r in reports] == ["loaded", "failed", "loaded", "loaded"]
    errors = batch.frames["raw_errors"].to_pylist()
    assert [(e["source_uri"].rsplit("/", 1)[1], e["error_code"]) for e in errors] == [("crash.txt", "worker_crashed")]
    facts = batch.frames["raw_facts"].to_pylist()
    assert len({f["report_id"] for f in facts}) == 3 and len(facts) == 3 * 198


def test_an_inner_time_limit_keeps_the_outer_one():
    import time

    started = time.monotonic()
    with pytest.raises(process.FileTimeout):
        with process.time_limit(0.3):
            with process.time_limit(5):
                time.sleep(0.1)
            while True:  # the outer limit still fires after the inner block ended
                time.sleep(0.01)
    assert time.monotonic() - started < 1.5


def test_memory_limits_read_from_the_environment(monkeypatch):
    from xxgk.staging import memory_limit

    monkeypatch.setenv("XXGK_DUCKDB_MEMORY_LIMIT", "1G")
    assert memory_limit() == "1G"
    monkeypatch.setenv("XXGK_DUCKDB_MEMORY_LIMIT", "")
    assert memory_limit() == "1GB"
    monkeypatch.setenv("XXGK_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="XXGK_DUCKDB_MEMORY_LIMIT"):
        memory_limit()
