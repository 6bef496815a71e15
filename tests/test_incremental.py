"""The incremental build gives exactly the warehouse a full build gives (xxgk/incremental.py).

A corpus of synthetic reports, some of them a publisher's report of the next year too (the cross-year
checks pair them), is ingested and built in full; then reports change (new bytes, another publisher's
report under the same URI, a trailing line), one is forgotten, a copy and a same-facts rendering come
as aliases, and new reports arrive. The build after that is incremental; a full build from the same
staging must give the same rows in every table of every schema.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tools.synth import iter_reports
from xxgk import build, staging
from xxgk.build import build_warehouse
from xxgk.ingest import ingest_files
from xxgk.records import source_uri_for


def _write_corpus(folder: Path, n: int = 14, seed: int = 11) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (report, data) in enumerate(iter_reports(n, seed=seed, layouts=("text_tab", "text_pipe", "html"))):
        suffix = Path(report.rel_path).suffix
        path = folder / f"r{i:03d}{suffix}"
        path.write_bytes(data)
        written.append(path)
        if i % 3 == 0 and suffix != ".html":  # the same publisher's report of the next year: a cross-year pair
            year = str(report.year)
            nxt = data.decode("utf-8").replace(year, str(report.year + 1)).encode("utf-8")
            (folder / f"r{i:03d}_next{suffix}").write_bytes(nxt)
            written.append(folder / f"r{i:03d}_next{suffix}")
    return written


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[tuple[str, str]]:
    return {(s, t) for s, t in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name <> 'meta'",
        [catalog]).fetchall()}


def assert_same_warehouse(a: Path, b: Path) -> None:
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        tables = _tables(con, "a")
        assert tables == _tables(con, "b")
        for schema, table in sorted(tables):
            left, right = f"a.{schema}.{table}", f"b.{schema}.{table}"
            counts = con.execute(f"SELECT (SELECT count(*) FROM {left}), (SELECT count(*) FROM {right})").fetchone()
            assert counts[0] == counts[1], (schema, table, counts)
            for x, y in ((left, right), (right, left)):
                extra = con.execute(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})").fetchone()[0]
                assert extra == 0, f"{schema}.{table}: {extra} rows of {x} not in {y}"
        views = "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = ? AND NOT internal"
        assert sorted(con.execute(views, ["a"]).fetchall()) == sorted(con.execute(views, ["b"]).fetchall())
    finally:
        con.close()


def _forget(db: Path, path: Path) -> None:
    """Forget a report from staging (as `xxgk forget` does) and delete its file, so the next ingest does not read
    it again."""
    con = staging.connect(staging.staging_path(db))
    try:
        assert staging.forget(con, [source_uri_for(path)])[0] == []
    finally:
        con.close()
    path.unlink()


@pytest.fixture
def corpus_warehouse(tmp_path) -> tuple[Path, Path, list[Path]]:
    folder = tmp_path / "corpus"
    files = _write_corpus(folder)
    db = tmp_path / "wh" / "xxgk.duckdb"
    ingest_files([str(folder)], str(db), workers=1)
    assert build.last_build["kind"] == "full"  # the first build of a warehouse
    return folder, db, files


def _change_corpus(folder: Path, db: Path, files: list[Path]) -> None:
    """Every kind of change a night brings: a report replaced by another publisher's under the same URI, new
    bytes with the same facts, a copy (an alias), another rendering, new reports, a forgotten one."""
    others = [data for _report, data in iter_reports(3, seed=99, layouts=("text_tab",))]
    files[1].write_bytes(others[0])  # another publisher's report under the same URI
    files[0].write_bytes(files[0].read_bytes() + "\n附：更正说明。\n".encode())  # new bytes, the same facts
    paired = [f for f in files if (f.parent / f"{f.stem}_next{f.suffix}").exists()]
    single = [f for f in files if f not in paired and "_next" not in f.name and f not in files[:2]]
    shutil.copy(single[0], folder / f"copy_of_{single[0].name}")  # the same bytes under another URI
    same_facts = single[1].read_bytes() + b"\n\n"  # another rendering: the same facts, other bytes
    (folder / f"{single[1].stem}_again{single[1].suffix}").write_bytes(same_facts)
    (folder / "new_one.txt").write_bytes(others[1])
    (folder / "new_two.txt").write_bytes(others[2])
    gone = paired[1]
    # its next year's report loses its cross-year pair: rows of a report whose own rows did not change
    _forget(db, gone)


def test_incremental_build_equals_a_full_build(corpus_warehouse, tmp_path):
    folder, db, files = corpus_warehouse
    n_before = duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM dim_reports").fetchone()[0]
    _change_corpus(folder, db, files)
    ingest_files([str(folder)], str(db), workers=1)
    assert build.last_build["kind"] == "incremental"
    assert 0 < build.last_build["affected"] < n_before + 4
    incremental = tmp_path / "incremental.duckdb"
    shutil.copyfile(db, incremental)
    build_warehouse(db, incremental=False)
    assert build.last_build["kind"] == "full"
    assert_same_warehouse(incremental, db)


def test_an_unchanged_staging_changes_nothing_and_new_models_force_a_full_build(corpus_warehouse, monkeypatch,
                                                                                tmp_path):
    _folder, db, _files = corpus_warehouse
    build_warehouse(db)
    assert build.last_build == {"kind": "incremental", "affected": 0}
    same = tmp_path / "same.duckdb"
    shutil.copyfile(db, same)
    build_warehouse(db, incremental=False)
    assert_same_warehouse(same, db)
    # a changed model (here: a changed registry or SQL file is the same) makes the next build a full one
    original = build.load_models

    def changed_models(*args, **kwargs):
        models = original(*args, **kwargs)
        return [m if m.name != "coverage" else type(m)(**{**m.__dict__, "sql": m.sql + "\n"}) for m in models]

    monkeypatch.setattr(build, "load_models", changed_models)
    build_warehouse(db)
    assert build.last_build["kind"] == "full"


def test_differing_reports_sees_values_rows_and_how_many_times_a_row_occurs():
    """The diff that decides which reports' rows are replaced (and which Parquet years are rewritten): a changed
    value, a row on one side only, a report gone, and a row that now occurs twice (a set difference alone
    misses it) each name their report; identical reports do not."""
    from xxgk.incremental import differing_reports

    con = duckdb.connect()
    con.execute("CREATE TABLE old_rows (report_id VARCHAR, v INTEGER)")
    con.execute("CREATE TABLE new_rows (report_id VARCHAR, v INTEGER)")
    con.execute("INSERT INTO old_rows VALUES ('same', 1), ('value', 1), ('extra', 1), ('gone', 1), ('twice', 1)")
    con.execute("INSERT INTO new_rows VALUES ('same', 1), ('value', 2), ('extra', 1), ('extra', 2), "
                "('twice', 1), ('twice', 1), ('new', 1)")
    found = {r for (r,) in con.execute(differing_reports("old_rows", "new_rows", "report_id")).fetchall()}
    assert found == {"value", "extra", "gone", "twice", "new"}
    con.close()


def test_the_models_keep_the_incremental_contract():
    """A small model (recomputed whole) never reads a per-report one, and the per-report ones are keyed by report:
    what lets the incremental build settle the affected reports before it rebuilds their rows."""
    models = build.load_models()
    per_report = {m.name for m in models if m.incremental}
    assert {"stg_facts", "stg_cells", "facts", "cells", "fct_applications", "chk_identities", "dq_check_results"} <= per_report
    for model in models:
        if not model.incremental and not model.is_view:
            assert not model.depends & per_report, model.name
        if model.incremental:
            assert model.incremental == "report_id"


def test_a_model_built_in_parts_is_the_model_built_whole(corpus_warehouse, monkeypatch, tmp_path):
    """chk_identities is built 25,000 reports at a time (its ordered aggregates over 100,000 reports pass the
    memory cap); in parts of 3 reports here (a publisher's reports in one part), against one piece."""
    _folder, db, _files = corpus_warehouse
    original = build.load_models

    def whole(*args, **kwargs):
        return [dataclasses.replace(m, part_reports=0) for m in original(*args, **kwargs)]

    def small_parts(*args, **kwargs):  # and cells, an exported table kept in report order, in parts too
        return [dataclasses.replace(m, part_reports=3 if m.part_reports or m.name == "cells" else 0)
                for m in original(*args, **kwargs)]

    monkeypatch.setattr(build, "load_models", whole)
    build_warehouse(db, incremental=False)
    one_piece = tmp_path / "whole.duckdb"
    shutil.copyfile(db, one_piece)
    monkeypatch.setattr(build, "load_models", small_parts)
    build_warehouse(db, incremental=False)
    assert_same_warehouse(one_piece, db)
    assert_in_report_order(db)


def assert_in_report_order(db: Path) -> None:
    """The exported per-report tables are stored in report order (what lets the export write a table's
    report-id buckets, and a night's export skip the rest, without sorting it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        clustered = [m for m in build.load_models() if m.clustered]
        assert {"cells", "fct_applications", "dq_check_results"} <= {m.name for m in clustered}
        for model in clustered:
            out_of_order = con.execute(
                f"SELECT count(*) FROM (SELECT report_id, lag(report_id) OVER (ORDER BY rowid) AS before "
                f"FROM {model.qualified}) WHERE before > report_id").fetchone()[0]
            assert out_of_order == 0, model.name
    finally:
        con.close()


def _exported(out: Path, name: str) -> str:
    return f"read_parquet('{out}/{name}/**/*.parquet', hive_partitioning = false)"


def _files(dataset: Path) -> dict[str, int]:
    return {p.relative_to(dataset).as_posix(): p.stat().st_ino for p in dataset.rglob("*.parquet")}


@pytest.mark.parametrize(("file_rows", "night"), [(10**9, "small"), (40, "small"), (40, "every kind")],
                         ids=["a file a year", "files per report-id bucket", "every kind of change"])
def test_the_export_after_an_incremental_build_rewrites_only_the_changed_reports_files(
        corpus_warehouse, tmp_path, monkeypatch, file_rows, night):
    """The Parquet of the build an incremental build started from gets only the files holding the changed
    reports rewritten (their year's one file, or their year's file of their report-id bucket when a large table
    is split so); read back, every dataset equals a full export of the same warehouse, column types included,
    and the data package lists every file of every dataset."""
    from xxgk import export
    from xxgk.export import changed_parts, export_parquet

    monkeypatch.setattr(export, "FILE_ROWS", file_rows)
    folder, db, files = corpus_warehouse
    out = tmp_path / "parquet"
    export_parquet(db, out)
    digits = json.loads((out / ".xxgk-export.json").read_text(encoding="utf-8"))["bucket_digits"]["cells"]
    assert (digits == 0) == (file_rows == 10**9), digits
    before = _files(out / "cells")
    names = [f.split("/")[1] for f in before]  # data_<n>, or data_<bucket>_<n> when split by report id
    assert all(n.startswith("data_") and n.count("_") == (2 if digits else 1) for n in names), sorted(before)

    if night == "small":
        files[0].write_bytes(files[0].read_bytes() + "\n附：更正说明。\n".encode())  # new bytes, the same facts
        # forgotten: its rows leave its year's files, and its next year's report loses its cross-year pair
        gone = [f for f in files[1:] if (f.parent / f"{f.stem}_next{f.suffix}").exists()][0]
        _forget(db, gone)
    else:
        _change_corpus(folder, db, files)
    ingest_files([str(folder)], str(db), workers=1)
    assert build.last_build["kind"] == "incremental"
    con = duckdb.connect(str(db), read_only=True)
    build_id = con.execute("SELECT build_id FROM meta.build_info").fetchone()[0]
    parts = {(str(y) if y is not None else "__HIVE_DEFAULT_PARTITION__", b) for y, b in changed_parts(con, digits)}
    con.close()

    counts = export_parquet(db, out)
    after = _files(out / "cells")
    kept = replaced = 0
    for path, inode in before.items():
        year = path.split("/")[0].removeprefix("report_year=")
        bucket = path.split("/")[1].split("_")[1] if digits else None
        if (year, bucket) in parts:  # rewritten (or gone with the forgotten report)
            assert after.get(path) != inode, path
            replaced += 1
        else:  # untouched: the very file of the first export
            assert after[path] == inode, path
            kept += 1
    assert replaced and (kept or night != "small"), f"the test needs changed and unchanged files: {sorted(before)}, {parts}"
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["x-build-id"] == build_id
    for resource in package["resources"]:  # every file there is, the kept ones too, and nothing else
        assert sorted(resource["path"]) == sorted(
            p.relative_to(out).as_posix() for p in (out / resource["name"]).rglob("*.parquet")), resource["name"]

    full = tmp_path / "full"
    assert export_parquet(db, full) == counts
    con = duckdb.connect()
    try:
        for name in counts:
            left, right = _exported(out, name), _exported(full, name)
            assert con.execute(f"DESCRIBE SELECT * FROM {left}").fetchall() == \
                con.execute(f"DESCRIBE SELECT * FROM {right}").fetchall(), name
            assert con.execute(f"SELECT count(*) FROM {left}").fetchone()[0] == counts[name], name
            for x, y in ((left, right), (right, left)):
                extra = con.execute(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})").fetchone()[0]
                assert extra == 0, f"{name}: {extra} rows only in one export"
    finally:
        con.close()
