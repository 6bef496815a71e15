"""Layout variants of reference §8 that no real fixture shows, built from the seeds (tests/fixtures/variants/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import load_module
from tests.expected import compare
from transforms.publishers import resolve_publisher
from xxgk.process import process_bytes
from xxgk.records import SourceItem

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VARIANTS = FIXTURES / "variants"


def _builder():
    return load_module(VARIANTS / "build_variants.py")


def _process(path: Path):
    return process_bytes(path.read_bytes(), SourceItem(source_uri=path.as_uri(), path=str(path)))


def _facts(records) -> dict[tuple[str, str, str], dict]:
    return {(f["table_code"], f["row_code"], f["col_code"]): f for f in records.facts}


@pytest.mark.parametrize("name", sorted(_builder().BUILDERS))
def test_committed_fixture_is_the_builder_output_and_says_synthetic(name):
    text = (VARIANTS / name).read_text(encoding="utf-8")
    assert text == _builder().BUILDERS[name]()
    assert "synthetic" in text[:400].lower()


def test_label_variants_give_the_seed_facts():
    """Prefix, instruction, typos, lost characters, gained spaces and a non-template row (seed 000)."""
    records = _process(VARIANTS / "labels_000.txt")
    assert (records.report["layout"], records.report["status"]) == ("text_tab", "loaded")
    assert compare(records.facts, "seed_000.yaml") == []
    facts = _facts(records)
    assert facts[("applications", "carried_over", "total")]["label_text"] == "二、上年结转政府信息公开数量"
    assert facts[("applications", "withheld_security_stability", "total")]["label_text"] == "3. 危机“三安全一稳定”"
    assert facts[("applications", "withheld_prohibited_by_law", "total")]["label_text"] == "2. 其他法律行政止公开"
    assert facts[("applications", "withheld_enforcement_file", "natural_person")]["value"] == 1
    assert facts[("applications", "total_handled", "total")]["label_text"] == "（七）总 计"
    assert facts[("proactive", "licensing", "prior_items")]["value"] == 814
    assert [(u["table_code"], u["label_text"], u["values"], u["reason"]) for u in records.unmapped] == [
        ("proactive", "其他主动公开文件", "12 | 3 | 45", "label not in the template")]


def test_pdf_converter_markdown_gives_the_seed_facts():
    """Chopped headers, a split label, loose labels, a dummy table, a split table under a foreign header."""
    records = _process(VARIANTS / "converter_000.md")
    report = records.report
    assert (report["layout"], report["status"], report["template_version"]) == ("text_pipe", "loaded", "2019")
    assert compare(records.facts, "seed_000.yaml") == []
    assert report["n_tables"] == 5  # table 2, the dummy, table 3 in two parts, table 4
    facts = _facts(records)
    coercion = facts[("proactive", "coercion", "prior_items")]
    assert (coercion["label_text"], coercion["value"], coercion["locator"]) == ("行政强制", 181, "line 38 c1")
    assert facts[("applications", "rejected_duplicate", "natural_person")]["label_text"] == "2. 重复申请"
    assert facts[("applications", "partially_granted", "total")]["value"] == 24
    assert facts[("applications", "unavailable_not_held", "total")]["value"] == 61
    assert [(u["label_text"], u["values"]) for u in records.unmapped] == [("", "- | - | -"), ("", "- | - | -")]
    # the OCR-misread title still resolves to the district, with a lower confidence and the reading
    assert report["publisher_name"] == "常州市武迸区人民政府"
    assert (report["publisher_status"], report["county_code"], report["publisher_resolution_confidence"]) == (
        "resolved", "320412", 0.6)
    assert report["publisher_reason"] == "武迸区 read as 武进区 (one character differs)"


def test_hybrid_template_reads_each_table_by_its_labels():
    records = _process(VARIANTS / "hybrid_pingtan_2021.html")
    report = records.report
    assert (report["template_version"], report["proactive_template"], report["applications_template"]) == (
        "2021", "2021", "2019")
    assert report["status"] == "loaded"
    assert compare(records.facts, "hybrid_pingtan_2021.yaml") == []
    other = [f for f in records.facts if f["row_code"] == "other"]
    assert [f["value"] for f in other] == [1, 0, 0, 0, 0, 0, 1]
    assert {f["outcome_group"] for f in other} == {"other"}
    assert not [f for f in records.facts if f["row_code"].startswith("other_")]


@pytest.mark.parametrize(("name", "publisher"), [("images_004.html", "靖江园区"), ("narrative_only.txt", "示例县交通运输局")])
def test_tables_as_images_and_narrative_only_reports_are_no_tables(name, publisher):
    records = _process(VARIANTS / name)
    report = records.report
    assert (report["status"], report["template_version"], report["n_tables"]) == ("no_tables", None, 0)
    assert report["status_reason"] == "no statistical table found (narrative-only report or tables as images)"
    assert records.facts == [] and records.errors == []
    assert (report["publisher_name"], report["report_year"]) == (publisher, 2020)
    assert [s["section_code"] for s in records.sections][-6:] == ["s1", "s2", "s3", "s4", "s5", "s6"]


def test_blank_cell_in_a_template_row_is_blank_not_a_lost_row():
    """Word's &nbsp; cell (行政强制 of word_export_2021.html): the row is read, its cell is blank."""
    records = _process(FIXTURES / "html" / "word_export_2021.html")
    assert records.report["status"] == "loaded"
    assert compare(records.facts, "word_export_2021.yaml") == []
    coercion = _facts(records)[("proactive", "coercion", "decisions")]
    assert (coercion["value"], coercion["value_status"], coercion["raw_text"], coercion["label_text"]) == (
        None, "blank", "", "行政强制")


@pytest.mark.parametrize(
    ("name", "context", "status", "county", "city", "method"),
    [
        # one county of 常州 is one character away
        ("常州市武迸区人民政府", "", "resolved", "武进区", "常州市", "name+misread"),
        ("武迸区人民政府", "常州市", "resolved", "武进区", "常州市", "name+misread"),  # the text names its city
        ("沐阳县人民政府", "江苏省宿迁市", "ambiguous", None, "宿迁市", "name+misread"),  # 沭阳县 and 泗阳县 fit
        ("宿迁市沐阳县人民政府", "", "ambiguous", None, "宿迁市", "name+misread"),
        ("沐阳县人民政府", "", "unresolved", None, None, "name"),  # nothing says where: no reading
        ("南京市高新区管委会", "", "resolved", None, "南京市", "name"),  # a zone is never read as 高淳区
        ("常州市武进区人民政府", "", "resolved", "武进区", "常州市", "name"),
    ],
)
def test_ocr_misread_division_names(name, context, status, county, city, method):
    match = resolve_publisher(name, context, 2020)
    assert (match.status, match.county_name, match.city_name, match.method) == (status, county, city, method)
    if method == "name+misread":
        assert match.confidence == (0.6 if status == "resolved" else 0.0)
        assert "one character differs" in match.reason


def test_saved_cms_page_publisher_comes_from_the_report_not_the_site():
    """cms_nested_layout.html: SiteName 示例市人民政府门户网站 and a 发布机构 metadata table before table 4."""
    records = _process(FIXTURES / "html" / "cms_nested_layout.html")
    report = records.report
    assert (report["publisher_name"], report["publisher_method"], report["publisher_kind"]) == (
        "示例市市场监督管理局", "title", "department")
    assert (report["status"], report["status_reason"]) == ("partial", "tables not found: proactive, applications")
    reviews = [f["value"] for f in records.facts if f["table_code"] == "reviews_litigation"]
    assert reviews == [1, 0, 0, 0, 1] + [0] * 10
    assert records.unmapped == []
