"""Traditional-character pages (reference §8): matching is simplified, the raw text is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.text import to_simplified
from common.values import parse_value
from tests.conftest import load_module
from tests.expected import compare
from transforms.labels import normalize_label
from xxgk.process import process_bytes
from xxgk.records import SourceItem

HTML = Path(__file__).parent / "fixtures" / "html"


def _builder():
    return load_module(HTML / "build_traditional.py")


def _process(name: str):
    path = HTML / name
    return process_bytes(path.read_bytes(), SourceItem(source_uri=path.as_uri(), path=str(path)))


@pytest.mark.parametrize("name", ["traditional_002.html", "traditional_tw_000.html"])
def test_committed_pages_are_the_builder_output(name):
    page = (HTML / name).read_text(encoding="utf-8")
    assert page == _builder().build(name)
    assert "Synthetic fixture made by build_traditional.py" in page.splitlines()[1]


def test_traditional_page_gives_the_seed_facts_and_keeps_the_raw_text():
    records = _process("traditional_002.html")
    report = records.report
    assert (report["layout"], report["status"], report["template_version"]) == ("html", "loaded", "2019")
    assert compare(records.facts, "seed_002.yaml") == []
    assert len(records.facts) == 22 + 161 + 15
    facts = {(f["table_code"], f["row_code"], f["col_code"]): f for f in records.facts}
    amount = facts[("proactive", "procurement", "procurement_amount")]
    # the cell reads 18517.89萬元: the raw text keeps 萬, the unit is the canonical 万元
    assert (amount["raw_text"], amount["value"], amount["unit"], amount["amount_yuan"]) == (
        "18517.89萬元", 18517.89, "万元", "185178900.00")
    assert facts[("proactive", "normative_docs", "made")]["label_text"] == "規範性文件"
    assert facts[("proactive", "procurement", "procurement_items")]["label_text"] == "政府集中採購"
    assert facts[("applications", "new_received", "total")]["label_text"].startswith("一、本年新收政府信息公開申請數量")
    # sections are found through simplified matching and keep their traditional text
    sections = {s["section_code"]: s for s in records.sections}
    assert list(sections) == ["preamble", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert sections["s2"]["heading"] == "二、主動公開政府信息情況"
    assert sections["s4"]["heading"] == "四、政府信息公開行政複議、行政訴訟情況"
    assert sections["s5"]["heading"] == "五、存在的主要問題及改進情況"
    assert sections["s1"]["text"].startswith("2020年，在市委、市政府及區委的正確領導下")
    assert to_simplified(sections["s1"]["text"]) != sections["s1"]["text"]
    assert any(c["text"] == "第二十條第（九）項" for c in records.cells)
    # the publisher is matched in simplified form and resolves to the seed's district
    assert (report["publisher_name"], report["publisher_method"], report["division_code"], report["report_year"]) == (
        "韶关市武江区人民政府", "title", "440203", 2020)


def test_taiwan_phrasing_page_gives_the_seed_facts():
    """s2twp writes 文件 as 檔案 and 信息 as 資訊 (reference §8): still every seed cell."""
    records = _process("traditional_tw_000.html")
    assert (records.report["status"], records.report["template_version"]) == ("loaded", "2019")
    assert compare(records.facts, "seed_000.yaml") == []
    label = next(f["label_text"] for f in records.facts if f["row_code"] == "normative_docs")
    assert label == "規範性檔案"
    assert (records.report["publisher_name"], records.report["division_code"]) == ("常州市武进区人民政府", "320412")


@pytest.mark.parametrize(
    ("label", "simplified"),
    [
        ("規章", "规章"),  # no character of the old hand-picked marker list
        ("規範性文件", "规范性文件"),
        ("行政許可", "行政许可"),
        ("結果維持", "结果维持"),
        ("尚未審結", "尚未审结"),
        ("本年新制作數量", "本年新制作数量"),
        ("（二）部分公開（區分處理的，只計這一情形，不計其他情形）", "部分公开"),
    ],
)
def test_every_traditional_character_is_converted_for_matching(label, simplified):
    assert normalize_label(label) == simplified


@pytest.mark.parametrize(
    ("raw", "value", "unit", "status"),
    [("36462萬元", 36462, "万元", "reported"), ("588項", 588, "项", "reported"), ("34（減）", -34, None, "reported"),
     ("無", None, None, "placeholder"), ("1.5億元", 1.5, "亿元", "reported")],
)
def test_traditional_units_and_signs_in_cells(raw, value, unit, status):
    parsed = parse_value(raw)
    assert (parsed.value, parsed.unit, parsed.status) == (value, unit, status)
