"""An ingest killed mid-way (SIGKILL, no cleanup) loses nothing that was published or committed.

The real command (``python -m xxgk.cli ingest``, the Prefect flow with its process pool) ingests a
synthetic corpus of 300 reports (tools/synth.py, built from the reference) in batches of 50 into a
warehouse that already holds the five seed reports. It is killed, with its pool workers, as soon as
the first batch line appears. Then: the published warehouse is the very same file, byte for byte,
and reads as before; the staging file opens and holds whole batches only; a second run skips what
was committed, completes, and the warehouse holds every report with the cells of its ground truth.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import ROOT, SAMPLES
from tests.test_warehouse_rebuild import ingest
from tools.synth import generate_corpus
from xxgk import staging

N_REPORTS = 300
BATCH = 50


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _counts(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select (select count(*) from dim_reports), (select count(*) from fct_applications),"
                           " (select count(*) from fct_proactive_disclosure), (select count(*) from dq_check_results)"
                           ).fetchone()
    finally:
        con.close()


def _ingest_command(corpus: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "xxgk.cli", "ingest", str(corpus), "--db", str(db),
            "--batch-size", str(BATCH), "--workers", "2"]


def _env() -> dict[str, str]:
    """The session's Prefect API (tests/conftest.py), so the child starts no server of its own."""
    from prefect.settings import get_current_settings

    return {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url)}


@pytest.mark.slow
def test_an_ingest_killed_midway_loses_nothing(tmp_path: Path, prefect_harness) -> None:
    corpus = generate_corpus(tmp_path / "corpus", N_REPORTS, seed=3)
    db = tmp_path / "wh" / "xxgk.duckdb"
    ingest(db, sorted(SAMPLES.glob("*.txt")))  # the warehouse before: the five seeds
    before = (db.stat().st_ino, _sha(db), _counts(db))
    assert before[2][0] == 5

    proc = subprocess.Popen(_ingest_command(corpus, db), cwd=ROOT, env=_env(), stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, start_new_session=True)
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, f"ingest ended before its first batch: {lines}"
            lines.append(line)
            if line.startswith("batch 1/"):
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the flow process and its pool workers: its own session
        proc.wait()
        proc.stderr.close()
    assert lines[-1].startswith(f"batch 1/{N_REPORTS // BATCH}:"), lines
    assert proc.returncode == -signal.SIGKILL

    # the published warehouse: the same file, the same bytes, readable, the same answers
    assert (db.stat().st_ino, _sha(db), _counts(db)) == before
    # staging opens (the write-ahead log replays) and holds whole batches only
    con = staging.connect(staging.staging_path(db))
    try:
        n_staged = con.execute("select count(*) from raw_reports").fetchone()[0]
        per_report = con.execute("select count(distinct report_id) from raw_facts").fetchone()[0]
    finally:
        con.close()
    assert n_staged >= 5 + BATCH and (n_staged - 5) % BATCH == 0 and n_staged < 5 + N_REPORTS
    assert per_report == n_staged
    # the killed run left its spool folder of extracted batches behind
    assert list(db.parent.glob(f".{db.name}.spool-*"))

    # the second run skips what was committed, completes, and clears the dead run's spool
    done = subprocess.run(_ingest_command(corpus, db), cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    unchanged = sum(int(line.split(" read, ")[1].split()[0]) for line in done.stderr.splitlines()
                    if line.startswith("batch "))
    assert unchanged == n_staged - 5
    assert not list(db.parent.glob(f".{db.name}.spool-*"))

    truth = pl.read_parquet(corpus / "ground_truth.parquet")
    expected = dict(truth.group_by("file_name").len().iter_rows())
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = dict(con.execute(
            "select regexp_extract(d.source_uri, '[^/]*$'), count(f.report_id) from dim_reports d"
            " left join staging.stg_facts f using (report_id) where d.source_uri like '%/corpus/%' group by 1").fetchall())
        assert con.execute("select count(*), count(distinct report_id) from dim_reports").fetchone() == \
            (5 + N_REPORTS, 5 + N_REPORTS)
        assert con.execute("select count(*) from ingest_errors").fetchone() == (0,)
        exact = con.execute(
            "select count(*) from read_parquet(?) t join staging.stg_reports r"
            " on regexp_extract(r.source_uri, '[^/]*$') = t.file_name join staging.stg_facts f on f.report_id = r.report_id"
            " and (f.table_code, f.row_code, f.col_code) = (t.table_code, t.row_code, t.col_code)"
            " where f.value_status = t.value_status and f.value is not distinct from t.value",
            [str(corpus / "ground_truth.parquet")]).fetchone()[0]
    finally:
        con.close()
    assert got == expected  # every report, each with the 198 or 200 cells of its template
    assert exact == truth.height
