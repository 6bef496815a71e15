"""The report inside synthetic CMS page shells (tests/fixtures/html/cms/, see its README): the
container search and the chrome filter of extractors/html.py keep the report and only the report."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from common.document import Table
from extractors.html import extract_html
from tests.conftest import load_module
from tests.expected import compare
from xxgk.process import process_bytes
from xxgk.records import SourceItem, source_uri_for

HTML = Path(__file__).parent / "fixtures" / "html"
CMS = HTML / "cms"
PAGES = sorted(p.name for p in CMS.glob("*.html"))
CHROME = ("版权所有", "ICP备", "网站地图", "网站标识码", "公网安备", "相关文章", "相关链接", "分享到", "打印本页",
          "关闭窗口", "当前位置", "所在的位置", "浏览次数", "政府信息公开目录", "某某区", "联系电话")
# lines a shell adds to (+) or takes from (-) the seed page's text: article title, info line, attachments
SHELL_LINES = {
    "heavy_nav_000.html": [],
    "layout_table_004.html": [],
    "word_paste_000.html": [],
    "meta_title_002.html": ["-韶关市武江区人民政府2020年政府信息公开", "-工作年度报告"],
    "related_list_001.html": ["+苏家屯区2020年政府信息公开工作年度报告", "+发布日期：2021-01-29 09:30 来源：苏家屯区政府办",
                              "+附件：苏家屯区2020年政府信息公开工作年度报告.pdf"],
    "split_divs_003.html": ["+2020年下城区政府信息公开工作年度报告", "+附件：", "+附件1：2020年下城区政府信息公开工作年度报告.pdf",
                            "+附件2：政府信息公开情况统计表.docx"],
}
PUBLISHER_TITLE = {
    "heavy_nav_000.html": ("常州市武进区人民政府", "常州市武进区人民政府2020年政府信息公开工作年度报告"),
    "word_paste_000.html": ("常州市武进区人民政府", "常州市武进区人民政府2020年政府信息公开工作年度报告"),
    "layout_table_004.html": ("靖江园区", "2020年政府信息公开工作年度报告"),
    "meta_title_002.html": ("韶关市武江区人民政府", "韶关市武江区人民政府2020年政府信息公开工作年度报告"),
    "related_list_001.html": ("苏家屯区", "苏家屯区2020年政府信息公开工作年度报告"),
    "split_divs_003.html": ("下城区", "2020年下城区政府信息公开工作年度报告"),
}


def _cells(table: Table) -> list[tuple[int, int, str, int, int]]:
    return [(c.row, c.col, c.text, c.row_span, c.col_span) for c in table.cells]


def _seed(name: str) -> str:
    return name.rsplit("_", 1)[1].removesuffix(".html")


def test_every_page_is_listed_and_current() -> None:
    assert PAGES == sorted(SHELL_LINES) == sorted(PUBLISHER_TITLE)
    build = load_module(CMS / "build_cms.py")
    assert build.render_all() == {p: (CMS / p).read_text(encoding="utf-8") for p in PAGES}


@pytest.mark.parametrize("page", PAGES)
def test_the_shell_keeps_the_report_text_and_tables(page: str) -> None:
    seed = extract_html((HTML / f"seed_{_seed(page)}.html").read_bytes())
    doc = extract_html((CMS / page).read_bytes())
    diff = difflib.unified_diff(seed.text.splitlines(), doc.text.splitlines(), lineterm="", n=0)
    assert [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))] == SHELL_LINES[page]
    # the same cells (locators differ: table numbers count the shell's layout tables)
    assert [_cells(t) for t in doc.tables] == [_cells(t) for t in seed.tables]
    assert [c for c in CHROME if c in doc.text] == []


@pytest.mark.parametrize("page", PAGES)
def test_the_shell_maps_to_exactly_the_seed_facts(page: str) -> None:
    path = CMS / page
    records = process_bytes(path.read_bytes(), SourceItem(source_uri=source_uri_for(path), path=str(path)))
    report = records.report
    assert compare(records.facts, f"seed_{_seed(page)}.yaml") == []
    assert (report["publisher_name"], report["title"]) == PUBLISHER_TITLE[page]
    assert report["report_year"] == 2020 and report["template_version"] == "2019"
    assert records.sections
    for section in records.sections:
        assert [c for c in CHROME if c in section["text"] or c in (section["heading"] or "")] == []


def test_title_only_in_head_is_found() -> None:
    doc = extract_html((CMS / "meta_title_002.html").read_bytes())
    assert doc.text.splitlines()[0].startswith("根据《中华人民共和国政府信息公开条例》")  # no title line in the body
    assert doc.meta["ArticleTitle"] == doc.title == "韶关市武江区人民政府2020年政府信息公开工作年度报告"


def _text(body: str) -> str:
    return extract_html(f"<html><body><div>{body}</div></body></html>".encode()).text


def test_chrome_filter_keeps_report_text_that_looks_like_chrome() -> None:
    # a report paragraph naming one footer word, a paragraph with two links, a short line with one link
    report = ("<p>一、总体情况</p><p>优化网站地图和栏目设置，全年发布信息1200条，办理申请35件。</p>"
              "<p>详见<a href='/a'>《政府信息公开指南》</a>和<a href='/b'>《目录》</a>。</p>"
              "<p>本报告电子版可从<a href='http://x.gov.cn'>http://x.gov.cn</a>下载。</p>")
    assert _text(report).splitlines() == [
        "一、总体情况", "优化网站地图和栏目设置，全年发布信息1200条，办理申请35件。", "详见《政府信息公开指南》和《目录》。",
        "本报告电子版可从http://x.gov.cn下载。"]


def test_chrome_filter_drops_link_lists_footers_and_breadcrumbs_next_to_the_report() -> None:
    body = ("<div class='pos'>当前位置：<a href='/'>首页</a> &gt; <a href='/z'>政务公开</a></div>"
            "<div><p>一、总体情况</p><p>全年发布信息1200条。</p></div>"
            "<div><p>二、其他需要报告的事项</p><p>无。</p></div>"
            "<ul><li><a href='/1'>甲区年报</a></li><li><a href='/2'>乙区年报</a></li><li><a href='/3'>丙区年报</a></li></ul>"
            "<div>主办单位：某区人民政府 版权所有 网站标识码：1234567890</div>")
    assert _text(body).splitlines() == ["一、总体情况", "全年发布信息1200条。", "二、其他需要报告的事项", "无。"]
