"""`xxgk forget URI...` as typed: reports leave staging and the warehouse, their history stays, unknown URIs change
nothing. Staging is filled by the writer itself (process, plan, load: no Prefect needed), the command runs for real."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli import name, query, xxgk
from tests.conftest import ROOT, SAMPLES
from xxgk import staging
from xxgk.build import build_warehouse
from xxgk.plan import plan_ingest
from xxgk.process import process_item
from xxgk.records import source_uri_for
from xxgk.sources_local import discover

SEED_000 = SAMPLES / "000_4742d3cb85c1027b.txt"


def ingest(db: Path, *paths: Path) -> None:
    """What the ingest flow does for these paths, without Prefect: plan, record copies, read, load, build."""
    con = staging.connect(staging.staging_path(db))
    try:
        plan = plan_ingest(discover(list(paths)), con)
        staging.record_aliases(con, plan.same_bytes)
        staging.load_batch(con, [r for r in (process_item(i) for i in plan.items) if r is not None])
    finally:
        con.close()
    build_warehouse(db)


def _staged(db: Path) -> list[tuple]:
    con = staging.connect(staging.staging_path(db))
    try:
        return con.execute("select source_uri, status from raw_reports union all"
                           " select source_uri, 'alias' from raw_aliases order by 1").fetchall()
    finally:
        con.close()


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for seed in sorted(SAMPLES.glob("00[01]_*.txt")):
        shutil.copy(seed, inbox)
    shutil.copy(ROOT / "README.md", inbox)
    db = tmp_path / "wh" / "xxgk.duckdb"
    ingest(db, inbox)
    return inbox, db


def test_unknown_uris_are_an_error_and_nothing_is_forgotten(tmp_path):
    inbox, db = _setup(tmp_path)
    before_staged, before_built = _staged(db), db.stat().st_mtime_ns
    readme = source_uri_for(inbox / "README.md")
    done = xxgk("forget", readme, "file:///nowhere/report.txt", "https://example.gov.cn/nb/2020.htm", "--db", db,
                prefect=False)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "xxgk: error: not in staging (neither a report nor an alias): file:///nowhere/report.txt",
        "xxgk: error: not in staging (neither a report nor an alias): https://example.gov.cn/nb/2020.htm",
        "xxgk: error: nothing was forgotten"]
    assert done.stdout == ""
    assert _staged(db) == before_staged and db.stat().st_mtime_ns == before_built  # not rebuilt either
    missing = xxgk("forget", readme, "--db", tmp_path / "other" / "x.duckdb", prefect=False)
    assert missing.returncode == 2 and "no staging database at" in missing.stderr


def test_forget_removes_reports_keeps_their_history_and_rebuilds(tmp_path):
    inbox, db = _setup(tmp_path)
    readme, seed = source_uri_for(inbox / "README.md"), source_uri_for(inbox / SEED_000.name)
    # a URI, or the local path it was ingested from
    done = xxgk("forget", readme, inbox / SEED_000.name, "--db", db, prefect=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [f"forgot {readme} (report, not_report)", f"forgot {seed} (report, loaded)"]
    assert done.stdout.splitlines()[-1].startswith(f"rebuilt {db}: ")
    assert [name(u) for u, _s in _staged(db)] == ["001_f11dda0cfbad3174.txt"]
    assert query(db, "select regexp_extract(source_uri, '[^/]*$') from dim_reports") == [("001_f11dda0cfbad3174.txt",)]
    assert query(db, "select count(*) from fct_applications") == [(161,)]
    assert query(db, "select regexp_extract(source_uri, '[^/]*$'), status, event from report_history order by 1") == [
        (SEED_000.name, "loaded", "forgotten"), ("README.md", "not_report", "forgotten")]
    # forgotten is not banned: ingested again, it is read again
    ingest(db, inbox)
    assert query(db, "select count(*) from dim_reports") == [(3,)]


def test_forgetting_a_report_whose_bytes_a_copy_holds_leaves_the_copy_a_report(tmp_path):
    first, moved = tmp_path / "old", tmp_path / "new"
    first.mkdir()
    shutil.copy(SEED_000, first / "report.txt")
    db = tmp_path / "xxgk.duckdb"
    ingest(db, first)
    shutil.copytree(first, moved)
    ingest(db, moved)  # the copy is recorded as an alias, not read
    assert query(db, "select regexp_extract(alias_uri, '[^/]*/[^/]*$'), reason from report_aliases") == [
        ("new/report.txt", "same_bytes")]
    old_uri, new_uri = source_uri_for(first / "report.txt"), source_uri_for(moved / "report.txt")
    done = xxgk("forget", old_uri, "--db", db, prefect=False)
    assert done.returncode == 0, done.stderr
    assert f"  {new_uri} held the same bytes as {old_uri}: it is a report of its own now" in done.stdout
    assert query(db, "select source_uri, status, n_facts from dim_reports") == [(new_uri, "loaded", 198)]
    assert query(db, "select count(*) from report_aliases") == [(0,)]
    assert query(db, "select count(*) from fct_applications") == [(161,)]
    # forgetting an alias removes only the alias
    third = tmp_path / "third"
    shutil.copytree(moved, third)
    ingest(db, third)
    third_uri = source_uri_for(third / "report.txt")
    assert query(db, "select alias_uri from report_aliases") == [(third_uri,)]
    done = xxgk("forget", third_uri, "--db", db, prefect=False)
    assert done.stdout.splitlines()[0] == f"forgot {third_uri} (alias)"
    assert query(db, "select source_uri from dim_reports") == [(new_uri,)]
    assert query(db, "select count(*) from report_aliases") == [(0,)]
    assert query(db, "select regexp_extract(source_uri, '[^/]*/[^/]*$'), status, event from report_history"
                     " order by superseded_at, 1") == [("old/report.txt", "loaded", "forgotten"),
                                                       ("third/report.txt", None, "forgotten")]
