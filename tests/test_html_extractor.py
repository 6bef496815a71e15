"""HTML extractor: real pingtan pages, synthetic Word/CMS/encoding pages, rendered seeds, edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import extractors.html as html_mod
import extractors.html_tables as html_tables
from common.document import Document, Table
from common.errors import ExtractionError
from extractors.html import extract_html
from tests.conftest import load_module

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "real"
HTML = FIX / "html"
EXPECTED = FIX / "expected"
SAMPLES = FIX.parent.parent / "samples"  # the seed reports


def _doc(path: Path) -> Document:
    return extract_html(path.read_bytes())


def _value_rows(table: Table, first_body_row: int) -> list[list[str]]:
    """Per body row, the texts of its origin cells that are numbers (labels and blanks left out)."""
    number = re.compile(r"^[+-]?\d[\d.,]*(万元|元)?$")
    return [[c.text for c in row if number.match(c.text)] for row in table.rows()[first_body_row:]]


def _flat_expected(expected: dict, key: str) -> list[list[str]]:
    return [[str(v) for v in values] for values in expected[key].values()]


# ------------------------------------------------------------------ real pages


@pytest.fixture(scope="module")
def pingtan() -> dict[str, Document]:
    return {year: _doc(REAL / f"pingtan_{year}.html") for year in ("2019", "2021", "2024")}


def test_pingtan_metadata_and_title(pingtan: dict[str, Document]) -> None:
    doc = pingtan["2019"]
    assert doc.layout == "html"
    assert doc.title == "平潭综合实验区2019年度政府信息公开工作年度报告"
    assert doc.meta["SiteName"] == "平潭综合实验区党工委管委会"
    assert doc.meta["Author"] == "平潭综合实验区管委会"
    assert doc.meta["PubDate"] == "2020-01-20 15:22"
    assert doc.meta["charset"] == "utf-8"
    assert doc.meta["html_title"].startswith("平潭综合实验区2019年度政府信息公开工作年度报告_政府信息公开年报_")
    assert pingtan["2021"].meta["Author"] == "管委会办公室"
    assert pingtan["2024"].title == "平潭综合实验区2024年度政府信息公开工作年度报告"


@pytest.mark.parametrize("year", ["2019", "2021", "2024"])
def test_pingtan_body_text_has_sections_and_no_page_chrome(pingtan: dict[str, Document], year: str) -> None:
    lines = pingtan[year].text.splitlines()
    for heading in ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        assert heading in lines
    text = pingtan[year].text
    for chrome in ("无障碍浏览", "当前位置", "历史搜索", "文件下载", "分享到微信", "首页"):
        assert chrome not in text
    # table rows are "| a | b |" lines, so a row label never starts a line like a section heading
    assert "| 四、结转下年度继续办理 |" in text
    assert not any(line.startswith("四、结转") for line in lines)


def test_pingtan_2019_grids(pingtan: dict[str, Document]) -> None:
    proactive, applications, reviews = pingtan["2019"].tables
    assert (proactive.n_rows, proactive.n_cols) == (18, 4)
    assert (applications.n_rows, applications.n_cols) == (26, 10)
    assert (reviews.n_rows, reviews.n_cols) == (4, 15)
    grid = proactive.grid()
    assert grid[17][0].text == "政府集中采购"
    assert grid[17][2].text == "75394432.52元" and grid[17][3] is grid[17][2]
    assert grid[17][2].col_span == 2 and grid[17][2].locator == "t1 r18 c3"
    assert grid[0][0].text == "第二十条第（一）项" and grid[0][0].col_span == 4
    grid = applications.grid()
    assert grid[0][0].text.startswith("（本列数据的勾稽关系为") and grid[2][2] is grid[0][0]
    assert [c.text for c in grid[2][3:]] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    # this page restarts 三、本年度办理结果 at （四）: two rowspan-10 cells
    first, second = grid[5][0], grid[15][0]
    assert first is not second and first.text == second.text == "三、本年度办理结果"
    assert (first.row, first.row_span, second.row, second.row_span) == (5, 10, 15, 10)
    assert grid[7][1].text == "（三）不予公开" and grid[14][1] is grid[7][1]
    assert [c.text for c in grid[19]] == ["三、本年度办理结果", "（五）不予处理", "2.重复申请",
                                          "3", "0", "0", "0", "0", "0", "3"]
    assert grid[25][0].text == "四、结转下年度继续办理" and grid[25][2] is grid[25][0]
    assert [c.text for c in reviews.grid()[3]] == ["0"] * 15
    assert reviews.grid()[2][0].text == "结果维持" and reviews.grid()[2][0].row == 1


def test_pingtan_2021_applications_keep_the_inconsistent_colspans(pingtan: dict[str, Document]) -> None:
    applications = pingtan["2021"].tables[1]
    assert (applications.n_rows, applications.n_cols) == (28, 11)
    grid = applications.grid()
    assert grid[1][3].text == "自然人" and grid[1][4] is grid[1][3]  # header 自然人 colspan=2
    assert grid[2][3].text == "" and grid[2][4].text == "商业企业" and grid[2][5] is grid[2][4]
    assert [c.text for c in grid[3]] == ["一、本年新收政府信息公开申请数量"] * 3 + ["64", "0", "0", "0", "2", "0", "4", "70"]
    assert grid[3][4] is grid[3][5]  # the commercial value spans two columns too
    assert grid[5][0].text == "三、本年度办理结果" and grid[5][0].row_span == 22
    assert grid[23][1].text == "（六）其他处理" and grid[23][1].row_span == 3
    assert grid[15][2].text == "1.本机关不掌握相关政府信息"
    assert [c.text for c in grid[15][3:]] == ["22", "0", "0", "0", "0", "0", "3", "25"]


def test_pingtan_2024_split_paragraph_labels_are_joined(pingtan: dict[str, Document]) -> None:
    grid = pingtan["2024"].tables[1].grid()
    assert grid[5][0].text == "三、本年度办理结果"
    assert [c.text for c in grid[2][4:10]] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert [c.text for c in pingtan["2024"].tables[2].grid()[3]] == [
        "2", "1", "3", "1", "7", "0", "0", "0", "0", "0", "13", "2", "4", "0", "19"]


@pytest.mark.parametrize("year", ["2019", "2021", "2024"])
def test_pingtan_grids_match_expected_yaml(pingtan: dict[str, Document], year: str) -> None:
    """The values read by hand into expected/*.yaml sit in the extracted grids, row by row."""
    expected = yaml.safe_load((EXPECTED / f"pingtan_{year}.yaml").read_text(encoding="utf-8"))
    proactive, applications, reviews = pingtan[year].tables
    assert _value_rows(applications, 3) == _flat_expected(expected, "applications")
    assert _value_rows(reviews, 3) == [sum(_flat_expected(expected, "reviews_litigation"), [])]
    cells = [c for row in _value_rows(proactive, 0) for c in row]
    want = []
    for metrics in expected["proactive"].values():
        for value in metrics.values():
            if isinstance(value, dict):
                unit = value["unit"] if year == "2019" else ""  # 2021: unit only in the header
                want.append(f"{value['value']}{unit}")
            else:
                want.append(str(value))
    assert cells == want


# ------------------------------------------------------------------ synthetic pages


@pytest.fixture(scope="module")
def word() -> Document:
    return _doc(HTML / "word_export_2021.html")


def test_word_export_cells_and_text(word: Document) -> None:
    assert word.title == "示例县人民政府2021年政府信息公开工作年度报告"
    assert word.meta["Generator"] == "Microsoft Word 15"
    assert "隐藏批注文字" not in word.text  # mso-hide:all
    assert "示例县人民政府办公室认真贯彻落实《中华人民共和国政府信息公开条例》，全年共收到政府信息公开申请37件，上年结转2件。" in word.text
    proactive = word.tables[0]
    assert (proactive.n_rows, proactive.n_cols) == (14, 4)  # Word's width row is dropped
    grid = proactive.grid()
    assert grid[1][1].text == "本年制发件数"
    assert grid[10][0].text == "行政强制" and grid[10][1].text == "" and grid[10][1].col_span == 3
    assert grid[13][1].text == "356.8"


def test_word_export_split_table_is_merged(word: Document) -> None:
    assert [t.locator for t in word.tables] == ["table 1", "table 2+3", "table 4"]
    applications = word.tables[1]
    assert (applications.n_rows, applications.n_cols) == (28, 11)
    grid = applications.grid()
    assert [c.text for c in grid[1][3:5]] == ["自然人", "法人或其他组织"]
    assert grid[1][9].text == "总计" and grid[1][10] is grid[1][9]  # header colspan=2, data rows end at col 9
    assert [c.text for c in grid[2][4:9]] == ["商 业 企 业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    top = grid[5][0]
    assert top.text == "三、本年度办理结果" and (top.row, top.row_span) == (5, 22)
    assert grid[26][0] is top and grid[27][0].text == "四、结转下年度继续办理"
    withheld = grid[7][1]
    assert withheld.text == "（三）不予公开" and withheld.row_span == 8 and grid[14][1] is withheld
    assert [c.text for c in grid[12][2:10]] == ["6.属于四类过程性信息", "1", "0", "0", "0", "0", "0", "1"]
    assert grid[12][2].locator == "t3 r1 c3"  # cells keep their source table and row
    assert grid[27][10] is None and grid[27][9].text == "2"


def test_word_export_values_balance(word: Document) -> None:
    rows = _value_rows(word.tables[1], 3)
    assert len(rows) == 25 and all(len(r) == 7 for r in rows)
    numbers = [[int(v) for v in r] for r in rows]
    assert all(sum(r[:6]) == r[6] for r in numbers)
    assert [c.text for c in word.tables[2].grid()[3]] == ["1", "0", "0", "1", "2", "0", "1", "0", "0", "1",
                                                         "0", "0", "0", "0", "0"]


def test_cms_nested_layout_tables_give_only_inner_tables() -> None:
    doc = _doc(HTML / "cms_nested_layout.html")
    assert [t.locator for t in doc.tables] == ["table 3", "table 4"]
    meta_table, reviews = doc.tables
    assert [c.text for c in meta_table.rows()[0]] == ["索引号：", "11350000XX/2022-00012", "发布机构：", "示例市市场监督管理局"]
    assert (reviews.n_rows, reviews.n_cols) == (4, 15)
    assert doc.title == "示例市市场监督管理局2021年政府信息公开工作年度报告"
    assert doc.meta["SiteName"] == "示例市人民政府门户网站"
    for chrome in ("首页", "2020年年报", "主办", "脚本文字", "网站标识码"):
        assert chrome not in doc.text
    assert "2021年，本局全年收到政府信息公开申请8件，办理行政复议案件1件，未发生行政诉讼。" in doc.text.splitlines()


@pytest.mark.parametrize("name", ["gbk_meta_gb2312.html", "gbk_no_meta.html", "gbk_declared_utf8.html",
                                  "utf8_bom.html"])
def test_encoded_pages(name: str) -> None:
    doc = _doc(HTML / name)
    assert "2020年，在朱镕基同志题词的档案馆设立查阅点，王堃、李喆两位同志负责依申请公开工作。" in doc.text.splitlines()
    assert [c.text for c in doc.tables[0].rows()[0]] == ["一、本年新收政府信息公开申请数量", "5", "0", "0", "0",
                                                         "0", "0", "5"]
    assert doc.title == "示例市2020年政府信息公开工作年度报告"


# ------------------------------------------------------------------ rendered seeds


def _seed_cells(rows: list[list[str]]) -> list[str]:
    out = []
    for row in rows:
        for cell in row:
            text = re.sub(r"\s+", " ", cell.replace("\n", "")).strip()
            if text:
                out.append(text)
    return out


@pytest.mark.parametrize("number", ["000", "001", "002", "003", "004"])
def test_rendered_seed_gives_the_seed_cells(number: str) -> None:
    """Each seed_NNN.html table yields exactly the seed text's cells, in order."""
    render = load_module(HTML / "render_seeds.py")
    source = next(SAMPLES.glob(f"{number}_*.txt"))
    seed = source.read_text(encoding="utf-8")
    assert (HTML / f"seed_{number}.html").read_text(encoding="utf-8") == render.render_page(seed, source.name)
    seed_tables = [payload for kind, payload in render.parse_seed(seed) if kind == "table"]
    doc = _doc(HTML / f"seed_{number}.html")
    assert len(doc.tables) == len(seed_tables) == 3
    for table, rows in zip(doc.tables, seed_tables, strict=True):
        got = [c.text for row in table.rows() for c in row if c.text]
        assert got == _seed_cells(rows)


def test_seed_000_grid_hand_checked() -> None:
    doc = _doc(HTML / "seed_000.html")
    assert doc.title == "常州市武进区人民政府2020年政府信息公开工作年度报告"
    applications = doc.tables[1]
    assert (applications.n_rows, applications.n_cols) == (26, 10)
    grid = applications.grid()
    assert grid[1][3].text == "自然人" and grid[1][3].row_span == 2
    assert grid[5][0].text == "三、本年度办理结果" and grid[5][0].row_span == 20
    assert grid[15][1].text == "（四）无法提供" and grid[15][1].row_span == 3
    assert [c.text for c in grid[15][2:]] == ["1. 本机关不掌握相关政府信息", "58", "3", "0", "0", "0", "0", "61"]
    assert [c.text for c in grid[24]] == ["三、本年度办理结果", "（七）总计", "（七）总计", "181", "12", "0", "0", "0",
                                          "0", "193"]
    proactive = doc.tables[0]
    assert [c.text for c in proactive.grid()[17]] == ["政府集中采购", "494", "36462万元", "36462万元"]


def test_seed_003_short_last_row_stays_short() -> None:
    grid = _doc(HTML / "seed_003.html").tables[1].grid()
    assert [c.text if c else None for c in grid[25]] == ["四、结转下年度继续办理"] * 3 + ["2", "0", "0", "2"] + [None] * 3


# ------------------------------------------------------------------ edge cases


def _tables(body: str) -> list[Table]:
    return extract_html(f"<html><body><div>{body}</div></body></html>".encode()).tables


def test_odd_spans_are_clamped() -> None:
    (table,) = _tables(
        "<table><tr><td rowspan='2 '>a</td><td colspan=0>b</td><td colspan=9999>c</td></tr>"
        "<tr><td rowspan=0>d</td><td>e</td></tr><tr><td>f</td><td rowspan=50>g</td></tr></table>"
    )
    cells = {c.text: c for c in table.cells}
    assert (cells["a"].row_span, cells["b"].col_span) == (2, 1)
    assert table.n_cols == 3 and cells["c"].col_span == 1  # trimmed to the width the other cells define
    assert (cells["d"].col, cells["d"].row_span) == (1, 2)  # rowspan=0: to the end of the row group
    assert (cells["f"].row, cells["f"].col, cells["g"].col, cells["g"].row_span) == (2, 0, 2, 1)


def test_nested_table_rows_do_not_leak_and_tfoot_goes_last() -> None:
    tables = _tables(
        "<table><tfoot><tr><td>foot</td><td>9</td></tr></tfoot><tbody><tr><td>x</td>"
        "<td>1<table><tr><td>inner</td><td>2</td></tr></table></td></tr></tbody></table>"
    )
    # the outer table holds a table, so it is layout; only the inner table is a Table
    assert len(tables) == 1 and [c.text for c in tables[0].cells] == ["inner", "2"]
    (table,) = _tables("<table><tfoot><tr><td>foot</td><td>9</td></tr></tfoot><tr><td>x</td><td>1</td></tr></table>")
    assert [[c.text for c in r] for r in table.rows()] == [["x", "1"], ["foot", "9"]]


def test_cell_text_joining() -> None:
    (table,) = _tables(
        "<table><tr><td><p>本年新</p><p>制作数量</p></td><td>本年新\n  制作数量</td><td>&nbsp;</td>"
        "<td><span>36462</span><br><span>万元</span></td><td>total\namount</td>"
        "<td><p>2</p><p>648</p></td><td>　0</td><td>总 计</td></tr></table>"
    )
    assert [c.text for c in table.cells] == ["本年新制作数量", "本年新制作数量", "", "36462万元", "total amount",
                                            "2 648", "0", "总 计"]


def test_narrower_continuation_is_shifted_and_labels_extended() -> None:
    body = (
        "<table><tr><td rowspan=2>三、结果</td><td>（一）</td><td>1</td><td>2</td></tr>"
        "<tr><td>（二）</td><td>3</td><td>4</td></tr></table>"
        "<p>&nbsp;</p><table><tr><td>（三）</td><td>5</td><td>6</td></tr></table>"
    )
    (table,) = _tables(body)
    assert table.locator == "table 1+2"
    grid = table.grid()
    assert grid[2][0].text == "三、结果" and grid[2][0].row_span == 3
    assert [c.text for c in grid[2][1:]] == ["（三）", "5", "6"]
    assert grid[2][1].locator == "t2 r1 c1"


def test_repeated_header_rows_are_dropped_on_merge() -> None:
    head = "<tr><td>项目</td><td>数量</td></tr>"
    (table,) = _tables(f"<table>{head}<tr><td>甲</td><td>1</td></tr></table>"
                       f"<table>{head}<tr><td>乙</td><td>2</td></tr></table>")
    assert [[c.text for c in r] for r in table.rows()] == [["项目", "数量"], ["甲", "1"], ["乙", "2"]]


def test_tables_with_text_between_or_new_structure_stay_apart() -> None:
    two = "<table><tr><td>甲</td><td>1</td></tr></table>"
    assert len(_tables(two + "<p>三、收到和处理政府信息公开申请情况</p>" + two)) == 2
    wide = "<table><tr><td colspan=2>行政复议</td><td>行政诉讼</td></tr><tr><td>1</td><td>2</td><td>3</td></tr></table>"
    assert len(_tables(two + wide)) == 2


def test_word_width_rows_and_empty_rows_are_dropped() -> None:
    (table,) = _tables("<table><tr><td>甲</td><td>1</td></tr><tr><td></td><td>&nbsp;</td></tr>"
                       "<tr height=0><td width=30></td><td width=40></td></tr></table>")
    assert table.n_rows == 1


def test_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_mod, "MAX_BYTES", 100)
    with pytest.raises(ExtractionError) as err:
        extract_html(b"<html><body>" + b"x" * 200 + b"</body></html>")
    assert err.value.code == "too_large"


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "empty_file"), (b"  \n ", "empty_file"), (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 1 0 obj", "binary_garbage"),
     (b"PK\x03\x04\x14\x00\x06\x00", "binary_garbage"), (bytes(range(256)) * 4, "binary_garbage"),
     ("一、总体情况\n本年度未收到申请。".encode(), "unsupported_format")],
)
def test_unreadable_input_raises(data: bytes, code: str) -> None:
    with pytest.raises(ExtractionError) as err:
        extract_html(data)
    assert err.value.code == code


def test_malformed_html_does_not_crash() -> None:
    doc = extract_html(b"<html><body><table><tr><td rowspan=x colspan=-3>a<td>1</table></p></div><p>tail"
                       + b"<div>" * 5000 + b"deep" + b"</div>" * 10)
    assert [c.text for c in doc.tables[0].cells] == ["a", "1"]
    assert "deep" in doc.text.splitlines()


def test_span_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_tables, "MAX_GRID_SLOTS", 1000)
    rows = "".join("<tr><td rowspan=500 colspan=900>x</td><td>1</td></tr>" for _ in range(20))
    with pytest.raises(ExtractionError) as err:
        _tables(f"<table>{rows}</table>")
    assert err.value.code == "too_complex"


def test_unmerged_tables_are_left_untouched() -> None:
    head = "<tr><td>项目</td><td>数量</td></tr>"
    first = f"<table>{head}<tr><td>甲</td><td>1</td></tr></table>"
    second = f"<table>{head}<tr><td colspan=2>乙</td></tr></table>"  # repeats the header, new structure
    tables = _tables(first + second)
    assert len(tables) == 2
    assert [[c.text for c in r] for r in tables[1].rows()] == [["项目", "数量"], ["乙"]]


def test_hidden_elements_are_dropped_whatever_the_case_of_their_style():
    page = ('<html><body><p>可见</p><p style="DISPLAY: none">看不见</p><span hidden>也看不见</span>'
            '<div style="visibility:hidden">隐</div><p style="mso-hide:all">批注</p>'
            '<p style="display:block">显示块</p></body></html>')
    assert extract_html(page.encode()).text == "可见\n显示块"
