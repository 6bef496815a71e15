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
    assert volumes[0] == ("常州市武进区人民政府", 2020, 202.0, 193.0, 0.539)  # (75 + 24) / 193 granted or partly
    assert [row[0] for row in volumes] == ["常州市武进区人民政府", "下城区", "苏家屯区", "韶关市武江区人民政府", "靖江园区"]
    assert grounds == [("withheld_inquiry", 5.0), ("withheld_internal_affairs", 3.0),
                       ("withheld_enforcement_file", 1.0), ("withheld_process_info", 1.0)]
    assert disputes == [("常州市武进区人民政府", 7.0, 1.0, 0.143, 15.0, 0.0), ("下城区", 4.0, 0.0, 0.0, 3.0, 0.0)]
    assert {row[0] for row in unbalanced} == {"下城区"} and {row[5] for row in unbalanced} == {"not_assessable"}
    assert uncovered == []
