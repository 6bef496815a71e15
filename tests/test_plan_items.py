"""Which files an ingest re-reads: new or changed bytes, or anything read by an older extractor version."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SAMPLES
from xxgk import staging
from xxgk.process import process_item
from xxgk.records import SourceItem, source_uri_for


def test_unchanged_files_are_skipped_unless_an_older_extractor_read_them(tmp_path):
    from xxgk.plan import plan_items

    inbox = tmp_path / "in"
    inbox.mkdir()
    files = [Path(shutil.copy(p, inbox / p.name)) for p in sorted(SAMPLES.glob("*.txt"))[:2]]
    con = staging.connect(tmp_path / "x.staging.duckdb")
    try:
        staging.load_batch(con, [process_item(SourceItem(source_uri_for(p), str(p))) for p in files])
        con.execute("UPDATE raw_reports SET extractor_version = '0.0.1' WHERE source_uri = ?",
                    [source_uri_for(files[1])])
        planned = {Path(item.path).name: item.known_sha256 for item in plan_items([str(inbox)], con)}
    finally:
        con.close()
    assert planned[files[0].name] is not None  # same extractor: its sha256 is known, equal bytes are skipped
    assert planned[files[1].name] is None  # read by 0.0.1, not by the current EXTRACTOR_VERSION: read again
    assert process_item(SourceItem(source_uri_for(files[0]), str(files[0]), known_sha256=planned[files[0].name])) is None


def test_a_file_named_twice_is_read_once_and_a_batch_keeps_one_version_per_report(tmp_path):
    from xxgk.batch import to_batch
    from xxgk.plan import plan_items

    inbox = tmp_path / "in"
    inbox.mkdir()
    seed = Path(shutil.copy(next(SAMPLES.glob("002_*.txt")), inbox / "002.txt"))
    con = staging.connect(tmp_path / "x.staging.duckdb")
    try:
        items = plan_items([str(seed), str(inbox)], con)  # the file, and its folder
        assert [Path(i.path).name for i in items] == ["002.txt"]
        record = process_item(items[0])
        batch = to_batch([record, record])
        assert batch.n_reports == 1 and batch.frames["raw_facts"].num_rows == len(record.facts)
        staging.load_batch(con, batch)
        assert con.execute("select count(*) from raw_reports").fetchone() == (1,)
    finally:
        con.close()
