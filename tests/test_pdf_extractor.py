"""Tests for extractors/pdf.py on the real Huai'an 2024 report and generated PDFs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

import extractors.pdf as pdf_mod
from common.document import Document, Table, join_wrapped
from common.errors import ExtractionError
from extractors.pdf import extract_pdf, is_page_number, is_value_text

FIXTURES = Path(__file__).parent / "fixtures"
HUAIAN = FIXTURES / "real" / "huaian_2024.pdf"
GENERATED = FIXTURES / "pdf"
EXPECTED = yaml.safe_load((FIXTURES / "expected" / "huaian_2024.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def huaian() -> Document:
    return extract_pdf(HUAIAN.read_bytes())


def texts(table: Table, row: int, cols: range) -> list[str]:
    grid = table.grid()
    return [grid[row][c].text for c in cols]  # type: ignore[union-attr]


def ints(table: Table, row: int, cols: range) -> list[int]:
    return [int(t) for t in texts(table, row, cols)]


# ------------------------------------------------------------------ huaian_2024.pdf


def test_huaian_has_exactly_the_three_statistical_tables(huaian: Document) -> None:
    assert huaian.layout == "pdf"
    assert [t.locator for t in huaian.tables] == ["p3 t1; p4 t1", "p4 t2; p5 t1", "p5 t2"]
    assert [(t.n_rows, t.n_cols) for t in huaian.tables] == [(14, 4), (28, 10), (4, 15)]
    assert huaian.warnings == []


def test_huaian_table2_merged_across_pages_3_and_4(huaian: Document) -> None:
    t2 = huaian.tables[0]
    grid = t2.grid()
    assert grid[0][0].text == "第二十条 第（一）项" and grid[0][0].col_span == 4
    assert texts(t2, 1, range(4)) == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    proactive = EXPECTED["proactive"]
    assert texts(t2, 2, range(4)) == ["规章", *(str(v) for v in proactive["rules"].values())]
    assert texts(t2, 3, range(4)) == ["行政规范性文件", *(str(v) for v in proactive["normative_docs"].values())]
    # The page-4 part has two columns; its value cells span the three value columns of page 3.
    for row, label, code in [(6, "行政许可", "licensing"), (9, "行政处罚", "penalties"), (10, "行政强制", "coercion")]:
        assert grid[row][0].text == label
        assert grid[row][1].text == str(proactive[code]["decisions"]) and grid[row][1].col_span == 3
    assert grid[12][1].text == "本年收费金额（单位：万元）"
    assert grid[13][0].text == "行政事业性收费" and float(grid[13][1].text) == 96171.6
    assert grid[9][1].locator == "p4 t1 r2 c2"


def test_huaian_table3_rows_including_the_one_cut_at_the_page_break(huaian: Document) -> None:
    t3 = huaian.tables[1]
    grid = t3.grid()
    assert texts(t3, 2, range(3, 10)) == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert grid[1][4].text == "法人或其他组织" and grid[1][4].col_span == 5
    expected_rows = list(EXPECTED["applications"].values())
    assert len(expected_rows) == 25
    for i, values in enumerate(expected_rows):
        assert ints(t3, 3 + i, range(3, 10)) == values, f"row {3 + i}"
    # The group label cut after （四）无 on page 4 continues as 法提供 on page 5.
    cut = grid[15][1]
    assert cut.text == "（四）无法提供" and (cut.row, cut.row_span) == (15, 3)
    assert cut.locator == "p4 t2 r16 c2 + p5 t1 r1 c2"
    assert [grid[r][2].text for r in (15, 16, 17)] == [
        "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]
    group = grid[5][0]
    assert group.text == "三、本年度办理结果" and (group.row, group.row_span) == (5, 22)
    assert grid[26][1].text == "（七）总计" and grid[26][1].col_span == 2
    assert grid[27][0].text == "四、结转下年度继续办理" and grid[27][0].col_span == 3
    assert grid[24][2].text == "2、申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
    assert grid[3][3].locator == "p4 t2 r4 c4" and grid[26][9].locator == "p5 t1 r11 c10"


def test_huaian_table4_fifteen_numbers(huaian: Document) -> None:
    t4 = huaian.tables[2]
    grid = t4.grid()
    expected = [v for block in EXPECTED["reviews_litigation"].values() for v in block]
    assert ints(t4, 3, range(15)) == expected
    assert (grid[0][0].text, grid[0][0].col_span) == ("行政复议", 5)
    assert (grid[0][5].text, grid[0][5].col_span) == ("行政诉讼", 10)
    assert (grid[1][5].text, grid[1][10].text) == ("未经复议直接起诉", "复议后起诉")
    assert grid[1][0].text == "结果维持" and grid[1][0].row_span == 2


def test_huaian_narrative_text(huaian: Document) -> None:
    lines = huaian.text.split("\n")
    for heading in ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]:
        assert heading in lines
    assert not any(is_page_number(line) for line in lines)
    # Prose on filled rectangles (page 1 and 3) is narrative, not a table.
    assert lines[2].startswith("本报告由淮安市人民政府办公室根据《中华人民共和国政府信息公开条例》")
    # Wrapped lines are joined into paragraphs, also across a page break.
    assert "政府信息公开行政复议 351件，其中结果维持 72 件" in huaian.text
    assert "将栏目不更新、政策解读不通俗易懂" in huaian.text
    assert lines[-1] == "2024 年，市政府严格落实《政府信息公开信息处理费管理办法》，全年收取政府信息公开信息处理费 3940 元。"
    assert "3985758" not in huaian.text  # table cells stay out of the narrative


def test_huaian_title_and_metadata(huaian: Document) -> None:
    assert huaian.title == "淮安市人民政府2024 年政府信息公开工作年度报告"
    assert huaian.meta["Title"] == "政府信息公开工作年度报告"
    assert huaian.meta["Author"] == "王守强"
    assert huaian.meta["pages"] == "6"


def test_pdfium_text_layer_gives_the_same_values(huaian: Document) -> None:
    doc = extract_pdf(HUAIAN.read_bytes(), text_layer="pdfium")
    assert [(t.n_rows, t.n_cols) for t in doc.tables] == [(t.n_rows, t.n_cols) for t in huaian.tables]
    for ours, theirs in zip(doc.tables, huaian.tables, strict=True):
        pairs = [(a.text, b.text) for a, b in zip(ours.cells, theirs.cells, strict=True)]
        values = [(a, b) for a, b in pairs if is_value_text(b)]
        assert values and all(a == b for a, b in values)
    assert doc.tables[1].grid()[15][1].text == "（四）无法提供"
    assert "一、总体情况" in doc.text.split("\n")


def test_page_cap_keeps_the_first_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_mod, "MAX_PAGES", 2)
    doc = extract_pdf(HUAIAN.read_bytes())
    assert doc.warnings == ["pages_truncated: read 2 of 6 pages"]
    assert doc.tables == [] and "一、总体情况" in doc.text and "六、其他需要报告的事项" not in doc.text


# ------------------------------------------------------------------ generated PDFs


def test_generated_continuation_with_group_fragments() -> None:
    doc = extract_pdf((GENERATED / "continued_table.pdf").read_bytes())
    assert len(doc.tables) == 1  # the prose lines on filled rectangles are not a table
    table = doc.tables[0]
    assert (table.n_rows, table.n_cols) == (10, 6)
    grid = table.grid()
    assert grid[0][4].text == "法人或其他组织"
    assert grid[2][0].text == "三、本年度办理结果" and grid[2][0].row_span == 7
    assert grid[5][1].text == "（四）无法提供" and grid[5][1].row_span == 3
    assert grid[4][2].text == "2.其他法律行政法规禁止公开"
    assert [texts(table, r, range(2, 6)) for r in (6, 7)] == [
        ["2.没有现成信息需要另行制作", "0", "1", "1"], ["3.补正后申请内容仍不明确", "0", "0", "0"]]
    assert texts(table, 8, range(1, 6)) == ["（七）总计", "（七）总计", "4", "1", "5"]
    assert texts(table, 9, range(3, 6)) == ["1", "1", "2"]
    assert doc.text.split("\n") == [
        "示例县人民政府2021年政府信息公开工作年度报告",
        "一、总体情况",
        "本年度，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，全年共收到政府信息公开申请7件，均按期答复。",
        "三、收到和处理政府信息公开申请情况",
        "五、存在的主要问题及改进情况",
        "公开工作仍有不足。",
    ]
    assert doc.title == "示例县人民政府2021年政府信息公开工作年度报告"


def test_generated_continuation_with_repeated_header_and_label_row() -> None:
    doc = extract_pdf((GENERATED / "repeated_header.pdf").read_bytes())
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert [texts(table, r, range(4)) for r in range(table.n_rows)] == [
        ["项目", "自然人", "其他", "总计"],
        ["一、本年新收政府信息公开申请数量", "3", "1", "4"],
        ["（一）予以公开", "2", "1", "3"],
        ["1.本机关不掌握相关政府信息", "1", "0", "1"],
        ["（七）总计", "3", "1", "4"],
    ]
    assert doc.text == "三、收到和处理政府信息公开申请情况\n四、政府信息公开行政复议、行政诉讼情况"


def test_unmapped_font_falls_back_to_pdfium() -> None:
    doc = extract_pdf((GENERATED / "no_unicode_map.pdf").read_bytes())
    assert doc.text == "一、总体情况\n本机关全年收到政府信息公开申请七件均已按期答复"
    assert doc.warnings == ["text_layer_fallback: p1: unmapped fonts, text read with pypdfium2"]
    forced = extract_pdf((GENERATED / "no_unicode_map.pdf").read_bytes(), text_layer="pdfplumber")
    assert "(cid:" in forced.text and forced.warnings == []


def test_unmapped_font_that_no_layer_maps_is_a_warning() -> None:
    doc = extract_pdf((GENERATED / "no_unicode_map_scrambled.pdf").read_bytes())
    assert doc.warnings == ["text_layer_unmapped: p1: fonts without a Unicode map, no layer maps them"]
    assert "(cid:" in doc.text


# ------------------------------------------------------------------ unreadable input


def image_only_pdf() -> bytes:
    page = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(page).rectangle((60, 100, 535, 400), outline="black", width=2)
    buf = io.BytesIO()
    page.save(buf, "PDF", resolution=72.0)
    return buf.getvalue()


def test_scanned_pdf_has_no_text_layer() -> None:
    with pytest.raises(ExtractionError) as err:
        extract_pdf(image_only_pdf())
    assert err.value.code == "no_text_layer"


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_truncated_pdf_is_unreadable(cut: float) -> None:
    data = HUAIAN.read_bytes()
    with pytest.raises(ExtractionError) as err:
        extract_pdf(data[: int(len(data) * cut)])
    assert err.value.code == "pdf_unreadable"
    assert "malformed or truncated" in err.value.message


@pytest.mark.parametrize("data", [b"", b"garbage " * 200, b"%PDF-1.7\n" + bytes(range(256)) * 8,
                                  b"<html><body>not a pdf</body></html>"])
def test_garbage_is_unreadable(data: bytes) -> None:
    with pytest.raises(ExtractionError) as err:
        extract_pdf(data)
    assert err.value.code == "pdf_unreadable"


def test_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_mod, "MAX_BYTES", 1000)
    with pytest.raises(ExtractionError) as err:
        extract_pdf(HUAIAN.read_bytes())
    assert err.value.code == "too_large"


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 7000), st.integers(0, 255)), min_size=1, max_size=20))
def test_corrupted_bytes_never_crash(edits: list[tuple[int, int]]) -> None:
    data = bytearray((GENERATED / "continued_table.pdf").read_bytes())
    for pos, byte in edits:
        data[pos % len(data)] = byte
    try:
        doc = extract_pdf(bytes(data))
    except ExtractionError as err:
        assert err.code in {"pdf_unreadable", "no_text_layer"}
    else:
        assert doc.layout == "pdf"


# ------------------------------------------------------------------ helpers


def test_join_wrapped() -> None:
    assert join_wrapped(["三、", "本", "年", "度"]) == "三、本年度"
    assert join_wrapped(["商业企", "业"]) == "商业企业"
    assert join_wrapped(["结 果", "维持"]) == "结 果维持"
    assert join_wrapped(["202529227.9", "元"]) == "202529227.9元"
    assert join_wrapped(["Open  data", "portal", ""]) == "Open data portal"


def test_page_numbers_and_values() -> None:
    assert all(is_page_number(s) for s in ["- 4 -", "－ 12 －", "第4页", "第 4 页 共 6 页", "4/6"])
    assert not any(is_page_number(s) for s in ["4", "第二十条", "- 4 - 件", "3119"])
    assert all(is_value_text(s) for s in ["3119", "96171.6", "-164", "+37", "1（增）", "36462万元", "—", "无", "０"])
    assert not any(is_value_text(s) for s in ["法提供", "（四）无", "1.属于国家秘密", "总计", ""])
