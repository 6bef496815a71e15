"""Safe rebuilds and cross-report checks on real DuckDB files (no Prefect: the build is plain Python)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SAMPLES
from xxgk import staging
from xxgk.build import build_warehouse
from xxgk.process import process_item
from xxgk.records import SourceItem, source_uri_for

SEED_000 = SAMPLES / "000_4742d3cb85c1027b.txt"


def ingest(db: Path, files: list[Path]) -> None:
    con = staging.connect(staging.staging_path(db))
    try:
        staging.load_batch(con, [process_item(SourceItem(source_uri_for(f), str(f))) for f in files])
    finally:
        con.close()
    build_warehouse(db)


def test_reader_keeps_its_snapshot_across_a_rebuild(tmp_path):
    db = tmp_path / "xxgk.duckdb"
    ingest(db, [SEED_000])
    reader = duckdb.connect(str(db), read_only=True)
    assert reader.execute("select count(*) from dim_reports").fetchone() == (1,)
    ingest(db, [SAMPLES / "002_802dc456ea33305a.txt"])  # rebuild while the reader holds the old file
    assert reader.execute("select count(*) from dim_reports").fetchone() == (1,)
    assert reader.execute("select count(*) from fct_applications").fetchone() == (161,)
    reader.close()
    fresh = duckdb.connect(str(db), read_only=True)
    assert fresh.execute("select count(*) from dim_reports").fetchone() == (2,)
    fresh.close()


@pytest.mark.parametrize("incremental", [True, False], ids=["incremental", "full"])
def test_a_build_killed_midway_leaves_the_old_warehouse_intact(tmp_path, incremental):
    db = tmp_path / "xxgk.duckdb"
    ingest(db, [SEED_000])
    before = db.stat().st_ino
    # a build that is killed while it writes: after its models ran (on a copy of the warehouse when
    # incremental, in a new file when full), the step that documents the tables is slowed down
    script = (
        "import time, xxgk.build as b\n"
        "orig = b.apply_comments\n"
        "def slow(con):\n"
        "    print('building', b.last_build['kind'], flush=True)\n"
        "    time.sleep(30)\n"
        "    return orig(con)\n"
        "b.apply_comments = slow\n"
        f"b.build_warehouse(__import__('pathlib').Path({str(db)!r}), incremental={incremental})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().split() == ["building", "incremental" if incremental else "full"]
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert db.stat().st_ino == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from fct_applications").fetchone() == (161,)
    assert con.execute("select count(*) from dq_check_results where status = 'fail'").fetchone() == (0,)
    con.close()
    # the next build completes and cleans up after the killed one
    ingest(db, [SAMPLES / "002_802dc456ea33305a.txt"])
    assert duckdb.connect(str(db), read_only=True).execute("select count(*) from dim_reports").fetchone() == (2,)


def _year_pair(tmp_path: Path, carried_over_total: int) -> Path:
    """Seed 000 as a 2020 report and a 2021 copy whose 上年结转 row says ``carried_over_total``."""
    text = SEED_000.read_text(encoding="utf-8")
    nxt = text.replace("2020年政府信息公开工作年度报告", "2021年政府信息公开工作年度报告", 1)
    row = "\t二、上年结转政府信息公开申请数量\n\t2\n\t0\n\t0\n\t0\n\t0\n\t0\n\t2\n"
    assert nxt.count(row) == 1
    new_row = (f"\t二、上年结转政府信息公开申请数量\n\t{carried_over_total}\n\t0\n\t0\n\t0\n\t0\n\t0\n"
               f"\t{carried_over_total}\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "2020.txt").write_text(text, encoding="utf-8")
    (tmp_path / "in" / "2021.txt").write_text(nxt.replace(row, new_row), encoding="utf-8")
    db = tmp_path / "xxgk.duckdb"
    ingest(db, sorted((tmp_path / "in").iterdir()))
    return db


def _x_carry(db: Path):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select scope, expected, actual, status, severity from dq_check_results"
                           " where check_code = 'x_carry' and scope like 'column:natural_person%'").fetchall()
    finally:
        con.close()


def test_x_carry_passes_when_last_years_carry_forward_is_this_years_carry_over(tmp_path):
    # seed 000 carries 11 forward (natural persons); the 2021 report says 11 were carried over
    db = _year_pair(tmp_path, 11)
    assert _x_carry(db) == [("column:natural_person vs 2020", 11.0, 11.0, "pass", "warning")]


def test_x_carry_fails_when_they_differ(tmp_path):
    db = _year_pair(tmp_path, 2)
    assert _x_carry(db) == [("column:natural_person vs 2020", 11.0, 2.0, "fail", "warning")]
