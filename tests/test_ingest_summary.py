"""`xxgk ingest` as typed: every file's outcome counted apart, skipped files listed, --json, --strict, exit codes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.cli import name, query, xxgk, xxgk_json
from tests.conftest import ROOT, SAMPLES
from xxgk.sources_local import MissingPaths, discover

SEED_000 = SAMPLES / "000_4742d3cb85c1027b.txt"
SEED_003 = SAMPLES / "003_f9c2f6eb9b2da975.txt"  # a short row of table 3: partial
NARRATIVE = ROOT / "tests" / "fixtures" / "variants" / "narrative_only.txt"  # a report without tables


def _wrong_total() -> str:
    text = SEED_000.read_text(encoding="utf-8")
    marker = "\t（七）总计\n\t181\n"
    assert text.count(marker) == 1
    return text.replace(marker, "\t（七）总计\n\t191\n")  # the identities of table 3 no longer hold


def _inbox(base: Path) -> Path:
    """One file of every outcome a read can have, and four things a folder holds that are not report files."""
    inbox = base / "in"
    (inbox / "sub").mkdir(parents=True)
    shutil.copy(SEED_000, inbox / "good.txt")
    shutil.copy(SEED_003, inbox / "short_row.txt")
    (inbox / "wrong_total.txt").write_text(_wrong_total(), encoding="utf-8")
    shutil.copy(NARRATIVE, inbox / "sub" / "narrative.txt")
    shutil.copy(ROOT / "README.md", inbox / "README.md")
    (inbox / "sub" / "garbage.pdf").write_bytes(b"%PDF-1.7\n\x00\x01 this is not a pdf")
    (inbox / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (inbox / ".notes.txt").write_text("hidden", encoding="utf-8")
    (inbox / ".git").mkdir()
    (inbox / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    os.symlink(SEED_000, inbox / "link.txt")
    return inbox


def test_a_missing_path_is_an_error_before_anything_runs(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(SEED_000, inbox)
    db = tmp_path / "wh" / "xxgk.duckdb"
    done = xxgk("ingest", inbox, tmp_path / "no_such_folder", tmp_path / "gone.txt", "--db", db, prefect=False)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"xxgk: error: no such file or folder: {tmp_path / 'no_such_folder'}",
        f"xxgk: error: no such file or folder: {tmp_path / 'gone.txt'}",
        "xxgk: error: nothing was ingested",
    ]
    assert done.stdout == ""
    assert not (tmp_path / "wh").exists()  # no staging file, no warehouse, no spool folder


def test_discover_raises_before_reading_and_lists_what_it_skips(tmp_path):
    inbox = _inbox(tmp_path)
    with pytest.raises(MissingPaths) as missing:
        discover([inbox, tmp_path / "nope"])
    assert missing.value.paths == [str(tmp_path / "nope")]
    files, skipped = discover([inbox])
    assert [f.relative_to(inbox).as_posix() for f in files] == [
        "README.md", "good.txt", "short_row.txt", "sub/garbage.pdf", "sub/narrative.txt", "wrong_total.txt"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        (".git", "hidden folder (not searched)"),
        (".notes.txt", "hidden file"),
        ("link.txt", "symbolic link (not followed inside a folder: give its target)"),
        ("scan.png", "unsupported suffix .png"),
    ]
    # a file named on the command line is read whatever its suffix; a link named there is followed
    assert discover([inbox / "scan.png", inbox / "link.txt"]) == ([inbox / "scan.png", inbox / "link.txt"], [])
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert discover([fifo])[1][0].reason == "a FIFO"


@pytest.mark.slow
def test_every_outcome_is_counted_apart(tmp_path, prefect_harness):
    inbox = _inbox(tmp_path)
    db = tmp_path / "wh" / "xxgk.duckdb"

    # --json: the machine summary alone on stdout, progress on stderr; --strict: a failed file → exit 1
    done = xxgk("ingest", inbox, "--db", db, "--json", "--strict")
    assert done.returncode == 1, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    counts = {k: summary[k] for k in ("files", "read", "loaded", "partial", "no_tables", "inconsistent",
                                      "not_report", "failed", "unchanged", "same_bytes", "skipped")}
    assert counts == {"files": 6, "read": 6, "loaded": 1, "partial": 1, "no_tables": 1, "inconsistent": 1,
                      "not_report": 1, "failed": 1, "unchanged": 0, "same_bytes": 0, "skipped": 4}
    assert [(name(f["source_uri"]), f["reason"].split(":")[0]) for f in summary["failed_files"]] == [
        ("garbage.pdf", "pdf_unreadable")]
    assert [name(u) for u in summary["not_reports"]] == ["README.md"]
    assert [(Path(s["path"]).name, s["reason"]) for s in summary["skipped_files"]] == [
        (".git", "hidden folder (not searched)"), (".notes.txt", "hidden file"),
        ("link.txt", "symbolic link (not followed inside a folder: give its target)"),
        ("scan.png", "unsupported suffix .png")]
    progress = done.stderr.splitlines()
    assert "ingest: 6 files to read in 1 batches, 2 workers; 0 same bytes as a loaded report (not read), " \
           "4 skipped" in progress
    assert any(line.startswith("batch 1/1: 6 read, 0 unchanged (6/6 files, ") for line in progress)
    assert progress[-1] == "xxgk ingest --strict: exit 1, failed files: 1"
    statuses = query(db, "select regexp_extract(source_uri, '[^/]*$'), status from dim_reports order by 1")
    assert statuses == [("README.md", "not_report"), ("garbage.pdf", "failed"), ("good.txt", "loaded"),
                        ("narrative.txt", "no_tables"), ("short_row.txt", "partial"),
                        ("wrong_total.txt", "inconsistent")]

    # the same folder again: nothing read; the human summary names what needs a look; exit 0 without --strict
    again = xxgk("ingest", inbox, "--db", db)
    assert again.returncode == 0, again.stderr[-3000:]
    lines = again.stdout.splitlines()
    assert lines[0] == "ingest: 6 files (0 read), 4 skipped"
    assert "  unchanged          6" in lines and "  failed             0" in lines
    assert lines[lines.index("skipped:") + 4].endswith("scan.png  unsupported suffix .png")
    # --strict fails a run only for files that failed in it
    assert xxgk_json("ingest", inbox, "--db", db, "--strict")["unchanged"] == 6
