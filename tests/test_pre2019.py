"""Pre-2019 reports (reference §1): recognised from labels and content, stored with sections and no facts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.expected import compare
from xxgk.process import process_bytes
from xxgk.records import SourceItem

FIXTURE = Path(__file__).parent / "fixtures" / "pre2019" / "wujin_2017.html"
SEED_000 = next(SAMPLES.glob("000_*.txt"))


def _process(data: bytes, name: str = "report.html"):
    return process_bytes(data, SourceItem(source_uri=f"file:///t/{name}", path=name))


def test_2017_report_is_pre2019_loaded_with_sections_and_no_facts():
    records = _process(FIXTURE.read_bytes(), FIXTURE.name)
    report = records.report
    assert (report["template_version"], report["status"], report["layout"]) == ("pre2019", "loaded", "html")
    assert report["status_reason"] == "pre-2019 report: narrative only, no national tables"
    assert (report["proactive_template"], report["applications_template"]) == (None, None)
    assert (report["report_year"], report["publisher_name"], report["division_code"]) == (2017, "常州市武进区人民政府",
                                                                                         "320412")
    assert records.facts == [] and report["n_facts"] == 0
    assert records.errors == []
    # its old statistics table is kept as cells (3 columns × 66 rows) and as unmapped rows, said to be pre-2019
    assert (report["n_tables"], len(records.cells)) == (1, 198)
    assert [c["text"] for c in records.cells[:3]] == ["指标名称", "计量单位", "数量"]
    assert len(records.unmapped) == 65  # every row but the header
    assert {u["reason"] for u in records.unmapped} == {
        "pre-2019 statistics table: its categories do not map to the national templates"}
    # the 2007 regulation's seven headings: fees (四) stays in s3, 五/六/七 are s4/s5/s6
    headings = [(s["section_code"], s["heading"]) for s in records.sections]
    assert headings == [
        ("preamble", ""),
        ("s1", "一、概述"),
        ("s2", "二、主动公开政府信息情况"),
        ("s3", "三、依申请公开政府信息情况"),
        ("s4", "五、因政府信息公开申请行政复议、提起行政诉讼的情况"),
        ("s5", "六、政府信息公开工作存在的主要问题及改进情况"),
        ("s6", "七、其他需要报告的事项"),
    ]
    s3 = records.sections[3]["text"]
    assert "四、政府信息公开的收费及减免情况" in s3 and "未收取检索、复制、邮寄等任何费用" in s3
    assert records.sections[4]["text"].startswith("2017年，全区因政府信息公开申请行政复议6件")


def test_the_year_does_not_decide_a_late_report_in_the_old_form_is_pre2019():
    late = FIXTURE.read_text(encoding="utf-8").replace("2017年", "2020年").replace("2017年度", "2020年度")
    records = _process(late.encode("utf-8"))
    assert records.report["report_year"] == 2020
    assert (records.report["template_version"], records.report["status"], records.facts) == ("pre2019", "loaded", [])


def test_old_table_header_variant_and_text_only_old_report():
    page = FIXTURE.read_text(encoding="utf-8")
    variant = page.replace("<td>指标名称</td><td>计量单位</td><td>数量</td>", "<td>统计指标</td><td>单位</td><td>统计数</td>")
    assert _process(variant.encode("utf-8")).report["template_version"] == "pre2019"
    # no table at all: the 2007 regulation's fees heading says it is an old report
    text_only = re.sub(r"<p>附表：</p>.*?</table>", "", page, flags=re.S)
    records = _process(text_only.encode("utf-8"))
    assert records.report["n_tables"] == 0
    assert (records.report["template_version"], records.report["status"]) == ("pre2019", "loaded")


def test_2019_template_report_whose_title_says_2018_is_not_pre2019():
    text = SEED_000.read_text(encoding="utf-8").replace("2020年", "2018年")
    records = _process(text.encode("utf-8"), "seed.txt")
    assert records.report["report_year"] == 2018
    assert (records.report["template_version"], records.report["status"]) == ("2019", "loaded")
    assert compare(records.facts, "seed_000.yaml") == []


def test_national_report_without_readable_tables_is_no_tables_not_pre2019():
    """Tables as images and a title year typo: the national labels in the text decide, not the year."""
    lines = SEED_000.read_text(encoding="utf-8").replace("2020年", "2018年").splitlines()
    narrative = "\n".join(line for line in lines if not line.startswith("\t") and not re.fullmatch(r"[\d\s.+-]*", line))
    records = _process(narrative.encode("utf-8"), "seed.txt")
    assert records.report["report_year"] == 2018
    assert records.report["n_tables"] == 0
    assert (records.report["template_version"], records.report["status"]) == (None, "no_tables")


@pytest.mark.parametrize("year", ["2016", "2020"])
def test_narrative_without_any_template_label_is_no_tables_whatever_the_year(year):
    text = (f"某某县人民政府{year}年政府信息公开工作年度报告\n一、总体情况\n本年度，我县政府信息公开工作平稳推进。\n"
            "二、主动公开政府信息情况\n全年主动公开政府信息1200条。\n")
    records = _process(text.encode("utf-8"), "note.txt")
    assert records.report["report_year"] == int(year)
    assert (records.report["template_version"], records.report["status"]) == (None, "no_tables")
