"""DOCX extractor: merged cells of a full synthetic report (seed 000), body order, hostile zips."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest

from common.document import Document, Table
from common.errors import ExtractionError
from extractors import docx as docx_extractor
from extractors.docx import extract_docx
from tests.conftest import load_module

FIXTURES = Path(__file__).parent / "fixtures" / "docx"


def _load_builder():
    return load_module(FIXTURES / "build_report.py")


build_report = _load_builder()


@pytest.fixture(scope="module")
def report_bytes() -> bytes:
    return build_report.build_report_docx()


@pytest.fixture(scope="module")
def report(report_bytes: bytes) -> Document:
    return extract_docx(report_bytes)


def texts(table: Table) -> list[list[str | None]]:
    return [[cell.text if cell else None for cell in row] for row in table.grid()]


# Seed 000, table 3: label of each data row -> the 7 applicant columns (自然人 … 总计).
SEED_APPLICATIONS = {
    "一、本年新收政府信息公开申请数量": "190 12 0 0 0 0 202",
    "二、上年结转政府信息公开申请数量": "2 0 0 0 0 0 2",
    "（一）予以公开": "75 5 0 0 0 0 80",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": "24 0 0 0 0 0 24",
    "1. 属于国家秘密": "0 0 0 0 0 0 0",
    "2. 其他法律行政法规禁止公开": "0 0 0 0 0 0 0",
    "3. 危及“三安全一稳定”": "0 0 0 0 0 0 0",
    "4. 保护第三方合法权益": "0 0 0 0 0 0 0",
    "5. 属于三类内部事务信息": "2 0 0 0 0 0 2",
    "6. 属于四类过程性信息": "1 0 0 0 0 0 1",
    "7. 属于行政执法案卷": "1 0 0 0 0 0 1",
    "8. 属于行政查询事项": "2 1 0 0 0 0 3",
    "1. 本机关不掌握相关政府信息": "58 3 0 0 0 0 61",
    "2. 没有现成信息需要另行制作": "1 3 0 0 0 0 4",
    "3. 补正后申请内容仍不明确": "0 0 0 0 0 0 0",
    "1. 信访举报投诉类申请": "3 0 0 0 0 0 3",
    "2. 重复申请": "4 0 0 0 0 0 4",
    "3. 要求提供公开出版物": "0 0 0 0 0 0 0",
    "4. 无正当理由大量反复申请": "0 0 0 0 0 0 0",
    "5. 要求行政机关确认或重新出具已获取信息": "0 0 0 0 0 0 0",
    "（六）其他处理": "10 0 0 0 0 0 10",
    "（七）总计": "181 12 0 0 0 0 193",
    "四、结转下年度继续办理": "11 0 0 0 0 0 11",
}


def assert_seed_000_tables(doc: Document) -> None:
    """The three tables of seed 000 with their merges; shared with the LibreOffice round-trip test."""
    assert [(t.n_rows, t.n_cols) for t in doc.tables] == [(18, 4), (26, 10), (4, 15)]
    proactive, applications, reviews = doc.tables

    grid = proactive.grid()
    assert grid[0][0].text == "第二十条第（一）项" and grid[0][0].col_span == 4 and grid[0][3] is grid[0][0]
    assert texts(proactive)[6] == ["行政许可", "814", "-164", "158268"]
    assert texts(proactive)[11] == ["行政强制", "181", "-74", "92"]
    assert grid[14][2].text == "+37" and grid[14][2].col_span == 2 and grid[14][3] is grid[14][2]
    assert texts(proactive)[17] == ["政府集中采购", "494", "36462万元", "36462万元"]

    grid = applications.grid()
    corner = grid[0][0]
    assert corner.text.startswith("（本列数据中") and (corner.row_span, corner.col_span) == (3, 3)
    assert grid[2][2] is corner
    applicant = grid[0][3]
    assert applicant.text == "申请人情况" and applicant.col_span == 7 and grid[0][9] is applicant
    natural = grid[1][3]
    assert natural.text == "自然人" and natural.row_span == 2 and grid[2][3] is natural
    legal = grid[1][4]
    assert legal.text == "法人或其他组织" and legal.col_span == 5 and grid[1][8] is legal
    assert grid[1][9].text == "总计" and grid[1][9].row_span == 2 and grid[2][9] is grid[1][9]
    assert [c.text for c in grid[2][4:9]] == [
        "商业 企业",
        "科研 机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    results = grid[5][0]
    assert results.text == "三、本年度办理结果" and results.row_span == 20
    assert all(grid[r][0] is results for r in range(5, 25)) and grid[25][0] is not results
    withheld = grid[7][1]
    assert withheld.text == "（三）不予 公开" and withheld.row_span == 8
    assert all(grid[r][1] is withheld for r in range(7, 15)) and grid[15][1] is not withheld
    assert grid[15][1].text == "（四） 无法 提供" and grid[15][1].row_span == 3
    assert grid[18][1].text == "（五）不予处理" and grid[18][1].row_span == 5
    assert grid[5][1].text == "（一）予以公开" and grid[5][1].col_span == 2
    assert grid[3][0].col_span == 3 and grid[3][2] is grid[3][0]
    # Every data row: the label cell just left of column 3, then the seed's 7 values.
    found = {}
    for row in grid[3:]:
        found[row[2].text] = " ".join(cell.text for cell in row[3:])
    assert found == SEED_APPLICATIONS
    assert applicant.locator == "t2 r1 c4" and grid[14][9].locator == "t2 r15 c10"

    grid = reviews.grid()
    assert grid[0][0].text == "行政复议" and grid[0][0].col_span == 5
    assert grid[0][5].text == "行政诉讼" and grid[0][5].col_span == 10 and grid[0][14] is grid[0][5]
    assert grid[1][4].text == "总计" and grid[1][4].row_span == 2 and grid[2][4] is grid[1][4]
    assert grid[1][5].text == "未经复议直接起诉" and grid[1][10].text == "复议后起诉"
    assert [c.text for c in grid[3]] == "3 1 0 3 7 6 0 0 6 12 3 0 0 0 3".split()


def test_report_tables_have_seed_values_in_merged_grid(report: Document) -> None:
    assert report.layout == "docx"
    assert report.warnings == []
    assert_seed_000_tables(report)


def test_spans_agree_with_python_docx_cell_identity(report_bytes: bytes, report: Document) -> None:
    """python-docx returns one _tc for every slot a merged cell covers: our origin cells must match."""
    for table, ours in zip(docx.Document(io.BytesIO(report_bytes)).tables, report.tables, strict=True):
        grid = ours.grid()
        n_cols = len(table.columns)
        flat = table._cells  # what table.cell(r, c) indexes, computed once
        assert len(flat) == len(grid) * n_cols
        tcs = [[flat[r * n_cols + c]._tc for c in range(n_cols)] for r in range(len(grid))]
        for r in range(len(grid)):
            for c in range(n_cols):
                same_as_left = c > 0 and tcs[r][c] is tcs[r][c - 1]
                same_as_above = r > 0 and tcs[r][c] is tcs[r - 1][c]
                assert same_as_left == (c > 0 and grid[r][c] is grid[r][c - 1]), (ours.locator, r, c)
                assert same_as_above == (r > 0 and grid[r][c] is grid[r - 1][c]), (ours.locator, r, c)


def test_text_keeps_paragraphs_and_tables_in_document_order(report: Document) -> None:
    lines = report.text.split("\n")
    narrative = build_report.narrative_paragraphs()
    assert [line for line in lines if not line.startswith("\t")] == narrative
    assert lines[:3] == ["常州市武进区人民政府", "2020年政府信息公开工作年度报告", "一、总体情况"]
    heading = lines.index("三、收到和处理政府信息公开申请情况")
    assert lines[heading + 1].startswith("\t（本列数据中")
    assert "\t三、本年度办理结果\t（一）予以公开\t75\t5\t0\t0\t0\t0\t80" in lines
    note = next(i for i, line in enumerate(lines) if line.startswith("注：由于区划调整"))
    assert lines[note - 1] == "\t四、结转下年度继续办理\t11\t0\t0\t0\t0\t0\t11"
    assert lines[-1].startswith("针对政务新媒体信息发布不严谨")
    assert report.title == "常州市武进区人民政府2020年政府信息公开工作年度报告"
    assert report.meta["core_author"] == "synthetic fixture"


def test_committed_fixture_matches_builder(report: Document) -> None:
    committed = extract_docx((FIXTURES / "report_000.docx").read_bytes())
    assert_seed_000_tables(committed)
    assert [texts(t) for t in committed.tables] == [texts(t) for t in report.tables]
    assert committed.text == report.text


# --------------------------------------------------------------------------- hand-written bodies

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_with_body(body: str) -> bytes:
    """A valid DOCX (python-docx's default package) whose document.xml body is ``body``."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    xml = f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    return replace_member(buffer.getvalue(), "word/document.xml", xml.encode("utf-8"))


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """The zip ``data`` with member ``name`` replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info))
        dst.writestr(name, content)
    return out.getvalue()


def p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def tc(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{p(text)}</w:tc>"


def tbl(rows: list[str], grid: list[int] | None = None) -> str:
    cols = "".join(f'<w:gridCol w:w="{w}"/>' for w in grid or [])
    return f"<w:tbl><w:tblGrid>{cols}</w:tblGrid>" + "".join(f"<w:tr>{r}</w:tr>" for r in rows) + "</w:tbl>"


def test_layout_wrapper_table_yields_its_inner_table_and_paragraphs() -> None:
    inner = tbl([tc("信息内容") + tc("本年新制作数量"), tc("规章") + tc("0")])
    outer = tbl([f"<w:tc>{p('二、主动公开政府信息情况')}{inner}{p('说明')}</w:tc>"])
    doc = extract_docx(docx_with_body(p("标题") + outer + p("三、收到和处理政府信息公开申请情况")))
    assert len(doc.tables) == 1
    assert texts(doc.tables[0]) == [["信息内容", "本年新制作数量"], ["规章", "0"]]
    assert doc.tables[0].cells[3].locator == "t1 r2 c2"
    assert doc.text.split("\n") == [
        "标题",
        "二、主动公开政府信息情况",
        "\t信息内容\t本年新制作数量",
        "\t规章\t0",
        "说明",
        "三、收到和处理政府信息公开申请情况",
    ]


def test_data_table_with_nested_table_keeps_both() -> None:
    inner = tbl([tc("x") + tc("1")])
    outer = tbl([tc("a") + tc("b") + tc("c"), tc("d") + f"<w:tc>{p('e')}{inner}</w:tc>" + tc("f")])
    doc = extract_docx(docx_with_body(outer))
    assert [texts(t) for t in doc.tables] == [[["a", "b", "c"], ["d", "e", "f"]], [["x", "1"]]]
    assert [t.locator for t in doc.tables] == ["t1", "t2"]
    assert doc.warnings == ["docx: t1 has nested tables; they follow it as separate tables"]


def test_grid_before_orphan_vmerge_and_wrappers() -> None:
    rows = [
        tc("h1") + tc("h2") + tc("h3"),
        '<w:trPr><w:gridBefore w:val="1"/></w:trPr>' + tc("b") + tc("c"),
        # vMerge continue under a cell of another width: no cell above to extend -> its own cell
        tc("x", '<w:gridSpan w:val="2"/><w:vMerge/>') + tc("z"),
        # a content control around a cell, custom XML around a run
        f"<w:sdt><w:sdtContent>{tc('s1')}</w:sdtContent></w:sdt>"
        + '<w:tc><w:p><w:customXml w:element="v"><w:r><w:t>s2</w:t></w:r></w:customXml></w:p></w:tc>'
        + tc("s3"),
    ]
    doc = extract_docx(docx_with_body(tbl(rows)))
    assert texts(doc.tables[0]) == [["h1", "h2", "h3"], [None, "b", "c"], ["x", "x", "z"], ["s1", "s2", "s3"]]
    assert doc.tables[0].grid()[1][1].locator == "t1 r2 c2"


def test_paragraph_text_tracked_changes_fields_and_textbox_fallback() -> None:
    body = (
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs></w:pPr>'
        "<w:r><w:t>收到申请</w:t></w:r><w:del><w:r><w:delText>99</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>202</w:t></w:r></w:ins><w:r><w:t>件</w:t><w:br/><w:t>第二行</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        "<w:hyperlink><w:r><w:t>链接</w:t></w:r></w:hyperlink></w:p>"
        f"<w:sdt><w:sdtContent>{p('　　内容控件里的段落')}</w:sdtContent></w:sdt>"
    )
    doc = extract_docx(docx_with_body(body))
    assert doc.text == "收到申请202件\n第二行7链接\n内容控件里的段落"


def test_hairline_grid_column_is_merged_away() -> None:
    # Row 0's border sits 1 twip right of row 1's: Word/LibreOffice add a 1-twip grid column.
    rows = [
        tc("行政复议", '<w:gridSpan w:val="2"/>') + tc("行政诉讼", '<w:gridSpan w:val="2"/>'),
        tc("总计", '<w:gridSpan w:val="3"/>') + tc("结果维持"),
        tc("7") + tc("") + tc("6") + tc("3"),
    ]
    doc = extract_docx(docx_with_body(tbl(rows, grid=[576, 1, 576, 576])))
    # The empty cell sits wholly inside the hairline column, so that column is kept.
    assert texts(doc.tables[0]) == [
        ["行政复议", "行政复议", "行政诉讼", "行政诉讼"],
        ["总计", "总计", "总计", "结果维持"],
        ["7", "", "6", "3"],
    ]
    assert doc.warnings == []
    # Without a cell inside it the hairline goes.
    rows[2] = tc("7", '<w:gridSpan w:val="2"/>') + tc("6") + tc("3")
    doc = extract_docx(docx_with_body(tbl(rows, grid=[576, 1, 576, 576])))
    assert texts(doc.tables[0]) == [
        ["行政复议", "行政诉讼", "行政诉讼"],
        ["总计", "总计", "结果维持"],
        ["7", "6", "3"],
    ]
    assert doc.warnings == ["docx: t1 had hairline grid columns (misaligned borders); merged away"]
    assert doc.tables[0].grid()[2][2].locator == "t1 r3 c3"


def test_absurd_grid_span_is_clamped() -> None:
    doc = extract_docx(docx_with_body(tbl([tc("a", '<w:gridSpan w:val="99999999"/>') + tc("b")])))
    assert doc.tables[0].cells[0].col_span == docx_extractor.MAX_SPAN
    assert doc.tables[0].n_cols == docx_extractor.MAX_SPAN + 1
    assert doc.warnings == ["docx: t1 has out-of-range spans or too many columns; clamped"]


# --------------------------------------------------------------------------- hostile input


def error_code(data: bytes) -> tuple[str, str]:
    with pytest.raises(ExtractionError) as info:
        extract_docx(data)
    return info.value.code, info.value.message


def test_zip_bomb_member_is_rejected_before_python_docx() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<" + b" " * (50 * 1024 * 1024))
    assert len(out.getvalue()) < 200_000
    code, message = error_code(out.getvalue())
    assert code == "docx_zip_bomb" and "word/document.xml" in message


def test_total_uncompressed_size_cap(monkeypatch: pytest.MonkeyPatch, report_bytes: bytes) -> None:
    monkeypatch.setattr(docx_extractor, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    blob = os.urandom(1_200_000)  # incompressible: passes the ratio check, fails the size cap
    code, message = error_code(replace_member(report_bytes, "word/media/image1.bin", blob))
    assert code == "docx_zip_bomb" and message.startswith("declared uncompressed size")
    assert message.endswith("cap 1000000")


def test_too_many_members() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(docx_extractor.MAX_MEMBERS + 1):
            archive.writestr(f"word/media/m{i}.bin", b"")
    code, message = error_code(out.getvalue())
    assert code == "docx_zip_bomb" and message.startswith(f"{docx_extractor.MAX_MEMBERS + 1} zip members")


def test_truncated_docx_is_unreadable(report_bytes: bytes) -> None:
    for cut in (len(report_bytes) // 2, len(report_bytes) - 30, 100):
        code, _ = error_code(report_bytes[:cut])
        assert code == "docx_unreadable"


def test_corrupted_member_fails_its_crc(report_bytes: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(report_bytes)) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(report_bytes)
    for i in range(start + 200, start + 260):
        damaged[i] ^= 0x5A
    code, message = error_code(bytes(damaged))
    assert code == "docx_unreadable" and "word/document.xml" in message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty file"),
        (b"\x00garbage\xff" * 300, "not a readable zip"),
        ("<html><body>报告</body></html>".encode(), "not a readable zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "OLE compound file"),
    ],
)
def test_garbage_is_unreadable(data: bytes, fragment: str) -> None:
    code, message = error_code(data)
    assert code == "docx_unreadable" and fragment in message


def test_zip_without_document_xml() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert error_code(out.getvalue()) == ("docx_unreadable", "no word/document.xml: not a Word document")


def test_dtd_and_entity_expansion_are_refused(report_bytes: bytes) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY l0 "lol">{lol}]><w:document>&l9;</w:document>'
    code, message = error_code(replace_member(report_bytes, "word/document.xml", bomb.encode()))
    assert code == "docx_unreadable" and "declares a DTD" in message
    # the same in UTF-16, in another part
    utf16 = replace_member(report_bytes, "word/styles.xml", bomb.replace("utf-8", "utf-16").encode("utf-16"))
    assert error_code(utf16) == (
        "docx_unreadable",
        "member 'word/styles.xml' declares a DTD (not allowed in OOXML)",
    )


def test_malformed_xml_and_wrong_content_type(report_bytes: bytes) -> None:
    code, message = error_code(replace_member(report_bytes, "word/document.xml", b"<w:document><w:body>"))
    assert code == "docx_unreadable" and "python-docx cannot open" in message
    with zipfile.ZipFile(io.BytesIO(report_bytes)) as archive:
        types = archive.read("[Content_Types].xml").replace(
            b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml"
        )
    code, message = error_code(replace_member(report_bytes, "[Content_Types].xml", types))
    assert code == "docx_unreadable" and "python-docx cannot open" in message
