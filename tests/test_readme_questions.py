"""The README's analyst questions run against the sample warehouse and give the samples' answers."""

from __future__ import annotations

import re

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def readme_queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Analyst questions", 1)[1]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def test_readme_has_five_questions():
    assert len(readme_queries()) == 5


def test_questions_answer_from_the_sample_warehouse(sample_warehouse):
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        answers = [con.execute(q).fetchall() for q in readme_queries()]
    finally:
        con.close()
    volumes, grounds, disputes, unbalanced, uncovered = answers
    assert volumes[0] == ("常州市武进区人民政府", 2020, 202, 193, 0.539)  # (75 + 24) / 193 granted or partly
    assert [row[0] for row in volumes] == ["常州市武进区人民政府", "下城区", "苏家屯区", "韶关市武江区人民政府", "靖江园区"]
    assert grounds == [("withheld_inquiry", 5), ("withheld_internal_affairs", 3),
                       ("withheld_enforcement_file", 1), ("withheld_process_info", 1)]
    assert all(isinstance(n, int) for _, n in grounds) and isinstance(volumes[0][2], int)  # counts are integers
    assert disputes == [("常州市武进区人民政府", 7, 1, 0.143, 15, 0), ("下城区", 4, 0, 0.0, 3, 0)]
    assert {row[0] for row in unbalanced} == {"下城区"} and {row[5] for row in unbalanced} == {"not_assessable"}
    assert uncovered == []


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_labels_query_of_the_readme_runs(sample_warehouse):
    (query,) = re.findall(r"```sql\n(.*?)```", _section("The tables"), flags=re.S)
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    assert len(rows) == 5 and all(r[1] and r[2] for r in rows)


def test_reading_the_parquet_as_the_readme_types_it(sample_warehouse, tmp_path, monkeypatch, capsys):
    """The README's duckdb SQL and polars Python, as typed, in a folder whose warehouse/parquet is the export."""
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / "parquet").symlink_to(sample_warehouse.parent / "parquet")
    monkeypatch.chdir(tmp_path)
    section = _section("Reading the Parquet")
    (sql,) = re.findall(r"```sql\n(.*?)```", section, flags=re.S)
    assert duckdb.sql(sql).fetchall() == [("withheld_inquiry", 5), ("withheld_internal_affairs", 3),
                                          ("withheld_enforcement_file", 1), ("withheld_process_info", 1),
                                          ("withheld_prohibited_by_law", 0), ("withheld_security_stability", 0),
                                          ("withheld_state_secret", 0), ("withheld_third_party", 0)]
    (python,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    exec(compile(python, "README.md", "exec"), {})
    shown = capsys.readouterr().out
    assert "属于行政查询事项" in shown and "error_code" in shown
