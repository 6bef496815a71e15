"""tools/degrade.py: each degradation renders what it says, the harness counts every cell exactly once."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from tools import degrade
from tools.accuracy import ROOT, expected_cells
from tools.degrade import LCell, Model, TableBlock

RL_VALUES = ["3", "1", "0", "3", "7", "6", "0", "0", "6", "12", "3", "0", "0", "0", "3"]


def small_model() -> Model:
    """A report in miniature: a title, headings, a narrative, table 2 (a spanned article row, a blank
    cell), two rows of table 3 under a label spanning two rows, table 4 with its two-row header."""
    proactive = TableBlock("proactive", [
        [LCell("第二十条第（一）项", 1, 4)],
        [LCell("信息内容"), LCell("本年新制作数量"), LCell("本年新公开数量"), LCell("对外公开总数量")],
        [LCell("规章"), LCell("0"), LCell(""), LCell("2")],
        [LCell("规范性文件"), LCell("1"), LCell("1"), LCell("3")],
    ])
    applications = TableBlock("applications", [
        [LCell("一、本年新收政府信息公开申请数量", 1, 3), *map(LCell, ["190", "12", "0", "0", "0", "0", "202"])],
        [LCell("三、本年度办理结果", 2, 1), LCell("（一）予以公开", 1, 2), *map(LCell, ["75", "5", "0", "0", "0", "0", "80"])],
        [LCell("（二）部分公开", 1, 2), *map(LCell, ["24", "0", "0", "0", "0", "0", "24"])],
        [LCell("（三）不予公开", 1, 1), LCell("1.属于国家秘密"), *map(LCell, ["0", "0", "0", "0", "0", "0", "0"])],
    ])
    reviews = TableBlock("reviews_litigation", [
        [LCell("行政复议", 1, 5), LCell("行政诉讼", 1, 10)],
        [*(LCell(n, 2, 1) for n in degrade.RL_RESULTS), LCell("未经复议直接起诉", 1, 5), LCell("复议后起诉", 1, 5)],
        [*(LCell(n) for _ in range(2) for n in degrade.RL_RESULTS)],
        [LCell(v) for v in RL_VALUES],
    ])
    blocks = [("title", "示例区人民政府2020年政府信息公开工作年度报告"), ("h", "一、总体情况"),
              ("p", "2020年，我区收到政府信息公开申请202件。"), ("h", "二、主动公开政府信息情况"),
              ("table", proactive), ("h", "三、收到和处理政府信息公开申请情况"), ("table", applications),
              ("h", "四、政府信息公开行政复议、行政诉讼情况"), ("table", reviews),
              ("h", "五、存在的主要问题及改进情况"), ("p", "无。")]
    return Model(document="tests/small.txt", source_format="text", layout="text_tab",
                 title="示例区人民政府2020年政府信息公开工作年度报告", blocks=blocks)


def _render(name: str, variant: str | None = None, model: Model | None = None) -> degrade.Rendering:
    renderings = degrade.degrade(model or small_model(), name)
    return next(r for r in renderings if variant is None or r.variant == variant)


def _text(rendering: degrade.Rendering) -> str:
    return rendering.data.decode("utf-8")


# --- the model ---------------------------------------------------------------------------------------
def test_model_files_each_table_under_its_heading():
    model = degrade.build_model(ROOT / "tests/fixtures/html/seed_000.html")
    kinds = [(model.blocks[i - 1][1], value.kind) for i, (kind, value) in enumerate(model.blocks) if kind == "table"]
    assert kinds == [("二、主动公开政府信息情况", "proactive"), ("三、收到和处理政府信息公开申请情况", "applications"),
                     ("四、政府信息公开行政复议、行政诉讼情况", "reviews_litigation")]
    assert model.blocks[0] == ("title", "常州市武进区人民政府2020年政府信息公开工作年度报告")
    assert model.page_text and "\n" not in model.page_text


def test_model_cuts_a_grid_holding_three_tables_where_the_labels_change_table():
    """text_space reads tables 2-4 as one grid; the model files each part under its own heading."""
    model = degrade.build_model(ROOT / "tests/fixtures/variants/spaced_000.txt")
    tables = [value for kind, value in model.blocks if kind == "table"]
    assert [t.kind for t in tables] == ["proactive", "applications", "reviews_litigation"]
    assert [c.text for c in tables[2].rows[-1]] == RL_VALUES


# --- the degradations --------------------------------------------------------------------------------
def test_one_line_has_no_separator_between_a_label_and_its_digits():
    text = _text(_render("one_line"))
    assert "\n" not in text and "\t" not in text and "|" not in text
    assert "一、本年新收政府信息公开申请数量190120000202" in text
    assert "（三）不予公开1.属于国家秘密0000000四、政府信息公开" in text
    assert "规章02规范性文件113" in text  # the blank cell vanished
    assert "".join(RL_VALUES) + "五、存在的主要问题" in text


def test_one_line_of_a_page_is_its_visible_text_navigation_included():
    model = degrade.build_model(ROOT / "tests/fixtures/html/cms/heavy_nav_000.html")
    rendering = degrade.degrade(model, "one_line")[0]
    text = _text(rendering)
    assert rendering.variant == "page_text" and "\n" not in text
    assert text.index("首页") < text.index("一、总体情况")  # the site's navigation comes first
    assert "一、本年新收政府信息公开申请数量190120000202二、上年结转" in text
    assert "<" not in text and "function(" not in text  # no markup, no script


def test_single_space_writes_one_row_per_line_cells_apart_by_one_space():
    lines = _text(_render("single_space", "txt")).splitlines()
    assert "一、本年新收政府信息公开申请数量 190 12 0 0 0 0 202" in lines
    assert "规章 0 2" in lines  # the blank cell is gone
    assert " ".join(RL_VALUES) in lines
    assert "2020年，我区收到政府信息公开申请202件。" in lines  # narrative unchanged
    zeros = _text(_render("single_space", "txt_zeros")).splitlines()
    assert "一、本年新收政府信息公开申请数量 190 12 202" in zeros
    assert not any(re.search(r"(^| )0( |$)", line) for line in zeros)


def test_dropped_blanks_rows_have_fewer_cells_than_columns():
    tab = _text(_render("dropped_blanks", "tab"))
    rows = [block.split("\n") for block in tab.split("\n\n") if block.startswith("\t")]
    assert ["\t规章", "\t0", "\t2"] in rows  # four columns, three cells: the blank one dropped
    assert all(line.startswith("\t") for row in rows for line in row)
    pipe = _text(_render("dropped_blanks", "pipe")).splitlines()
    assert "| 规章 | 0 | 2 |" in pipe
    assert "| 第二十条第（一）项 |" in pipe  # a spanning cell leaves no empty cells behind
    zeros = _text(_render("dropped_blanks", "pipe_zeros")).splitlines()
    assert "| 一、本年新收政府信息公开申请数量 | 190 | 12 | 202 |" in zeros
    assert "| （三）不予公开 | 1.属于国家秘密 |" in zeros


def test_rl_header_3rows_spreads_table_4s_header_over_three_rows():
    nbsp = _text(_render("rl_header_3rows", "html_nbsp"))
    table = nbsp[nbsp.rindex("<table"):]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 4
    assert 'colspan="5"' in table and 'colspan="10"' in table and "&nbsp;" in table
    assert table.index("行政复议") < table.index("未经复议直接起诉") < table.index("结果维持")
    rowspan = _text(_render("rl_header_3rows", "html_rowspan"))
    assert 'rowspan="2" colspan="5"' in rowspan
    pipe = _text(_render("rl_header_3rows", "pipe")).splitlines()
    start = pipe.index("| 行政复议 |  |  |  |  | 行政诉讼 |  |  |  |  |  |  |  |  |  |")
    assert pipe[start + 1] == "|  |  |  |  |  | 未经复议直接起诉 |  |  |  |  | 复议后起诉 |  |  |  |  |"
    assert pipe[start + 2] == "| " + " | ".join(degrade.RL_RESULTS * 3) + " |"
    assert pipe[start + 3] == "| " + " | ".join(RL_VALUES) + " |"


def test_rl_header_3rows_keeps_blank_cells_blank():
    model = small_model()
    reviews = next(v for k, v in model.blocks if k == "table" and v.kind == "reviews_litigation")
    reviews.rows[-1][2] = LCell("")
    html = _text(_render("rl_header_3rows", "html_nbsp", model))
    values = html[html.rindex("<tr>"):]
    assert values.count("&nbsp;") == 1 and values.count("<td") == 15


def test_split_tables_cuts_every_table_and_sets_the_heading_apart():
    html = _text(_render("split_tables", "html"))
    assert 2 * 3 <= html.count("<table") <= 3 * 3
    for heading in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"):
        after = html[html.index(heading):]
        assert after.index("</p>") < after.index("<table")
        assert any(s in after[: after.index("<table")] for s in degrade._LEAD_SENTENCES)
    pipe = _text(_render("split_tables", "pipe")).splitlines()
    assert any(line in degrade._LEAD_SENTENCES for line in pipe)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return len(long) - len(short) == 1 and any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def test_label_typos_make_at_most_one_edit_per_label_never_on_a_digit():
    model = small_model()
    before = degrade._tables(model.blocks)
    after = degrade._tables(degrade.typo_blocks(model.blocks, random.Random(3)))
    edited = 0
    for old_table, new_table in zip(before, after, strict=True):
        for old_row, new_row in zip(old_table.rows, new_table.rows, strict=True):
            for old, new in zip(old_row, new_row, strict=True):
                assert _edit_distance_at_most_one(old.text, new.text), (old.text, new.text)
                assert re.sub(r"\D", "", old.text) == re.sub(r"\D", "", new.text)
                edited += old.text != new.text
    assert edited >= 3
    assert _render("label_typos", "html").data == _render("label_typos", "html").data  # seeded


def test_typo_leaves_short_labels_and_numerals_alone():
    rng = random.Random(0)
    assert degrade.typo("规章", rng, ["字"]) == "规章"
    for _ in range(50):
        edited = degrade.typo("第二十条第（一）项", rng, ["字"])
        assert "二十" in edited and "（一）" in edited


def test_ocr_confusions_only_misread_what_a_reader_still_reads_as_the_number():
    model = small_model()
    mapped = degrade.ocr_blocks(model.blocks, random.Random(5))
    seen = set()
    for old_table, new_table in zip(degrade._tables(model.blocks), degrade._tables(mapped), strict=True):
        for old_row, new_row in zip(old_table.rows, new_table.rows, strict=True):
            for old, new in zip(old_row, new_row, strict=True):
                read_back = unicodedata.normalize("NFKC", new.text).translate(str.maketrans("OlI丨", "0111"))
                assert read_back == unicodedata.normalize("NFKC", old.text), (old.text, new.text)
                seen.update(ch for ch in new.text if ch in "OlI丨" or "\uff10" <= ch <= "\uff19")
    assert seen & set("OlI丨") and seen - set("OlI丨")  # confusions and full-width digits both occur


def test_spans_as_cells_write_every_slot():
    empty = _text(_render("spans_as_cells", "empty")).splitlines()
    assert "| 一、本年新收政府信息公开申请数量 |  |  | 190 | 12 | 0 | 0 | 0 | 0 | 202 |" in empty
    assert "|  | （二）部分公开 |  | 24 | 0 | 0 | 0 | 0 | 0 | 24 |" in empty
    repeated = _text(_render("spans_as_cells", "repeated")).splitlines()
    assert "| 三、本年度办理结果 | （二）部分公开 | （二）部分公开 | 24 | 0 | 0 | 0 | 0 | 0 | 24 |" in repeated


@pytest.mark.parametrize("name", list(degrade.DEGRADATIONS))
def test_every_degradation_is_deterministic(name):
    first = [(r.variant, r.data) for r in degrade.degrade(small_model(), name)]
    second = [(r.variant, r.data) for r in degrade.degrade(small_model(), name)]
    assert first == second and first


# --- counting ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("want", "fact", "status", "erased", "category"), [
    ({"value": 5, "status": "reported"}, {"value": 5.0, "value_status": "reported"}, "loaded", False, "exact"),
    ({"value": 5, "status": "reported"}, {"value": 5.0, "value_status": "inferred"}, "loaded", False, "inferred"),
    ({"value": 5, "status": "reported"}, {"value": None, "value_status": "missing"}, "loaded", False, "flagged"),
    ({"value": 5, "status": "reported"}, {"value": 6.0, "value_status": "reported"}, "partial", False, "flagged"),
    ({"value": 5, "status": "reported"}, {"value": 6.0, "value_status": "reported"}, "loaded", False, "silent"),
    ({"value": 5, "status": "reported"}, {"value": 6.0, "value_status": "inferred"}, "loaded", False, "silent"),
    ({"value": 5, "status": "reported"}, {"value": None, "value_status": "blank"}, "loaded", False, "silent"),
    ({"value": None, "status": "blank"}, {"value": 0.0, "value_status": "reported"}, "loaded", False, "silent"),
    ({"value": None, "status": "blank"}, {"value": None, "value_status": "missing"}, "loaded", True, "erased"),
    ({"value": None, "status": "blank"}, {"value": 3.0, "value_status": "reported"}, "loaded", True, "silent"),
    ({"value": 0, "status": "reported"}, {"value": 0.0, "value_status": "inferred"}, "loaded", True, "inferred"),
    ({"value": 5, "status": "reported"}, None, "loaded", False, "silent"),
    ({"value": 5, "status": "reported"}, None, "no_tables", False, "flagged"),
    ({"value": 9.5, "status": "reported", "unit": "万元"},
     {"value": 9.5, "value_status": "reported", "unit": "元", "amount_yuan": 9.5}, "loaded", False, "silent"),
    ({"value": 9.5, "status": "reported", "unit": "万元"},
     {"value": 9.5, "value_status": "reported", "unit": None, "amount_yuan": None}, "loaded", False, "flagged"),
])
def test_classify(want, fact, status, erased, category):
    assert degrade.classify({"unit": None, **want}, fact and {"unit": None, **fact}, status, erased) == category


def _planted_error(model, rng, table="proactive"):
    """A test-only degradation: the first two different values of a row of ``table`` swapped. In table 2,
    which has no identity, that is a wrong number the pipeline cannot see; in table 3 the identities see it."""
    blocks = []
    for kind, value in model.blocks:
        if kind == "table" and value.kind == table:
            rows = [list(r) for r in value.rows]
            for row in rows:
                cells = [i for i, c in enumerate(row) if c.text.strip() and degrade._is_value_slot(c.text)]
                if len(cells) >= 2 and row[cells[0]].text != row[cells[1]].text:
                    row[cells[0]], row[cells[1]] = row[cells[1]], row[cells[0]]
                    break
            value = TableBlock(value.kind, rows)
        blocks.append((kind, value))
    return [degrade.Rendering("planted", "html", ".html", degrade.to_html(blocks))]


def test_a_planted_wrong_number_is_counted_silent_and_fails_the_run(monkeypatch, capsys):
    monkeypatch.setitem(degrade.DEGRADATIONS, "planted", _planted_error)
    status, outcomes = degrade.run(["--document", "tests/fixtures/html/seed_000.html", "--degradation", "planted",
                                    "--fail-on-silent"])
    assert status == 1
    assert [o.counts["silent"] for o in outcomes] == [2]
    assert "silently wrong" in capsys.readouterr().out
    assert degrade.run(["--document", "tests/fixtures/html/seed_000.html", "--degradation", "planted"])[0] == 0


def test_a_wrong_number_in_table_3_breaks_its_identities_and_is_flagged_not_silent(monkeypatch):
    monkeypatch.setitem(degrade.DEGRADATIONS, "planted",
                        lambda model, rng: _planted_error(model, rng, table="applications"))
    status, outcomes = degrade.run(["--document", "tests/fixtures/html/seed_000.html", "--degradation", "planted",
                                    "--fail-on-silent"])
    assert status == 0
    assert [(o.counts["silent"], o.status) for o in outcomes] == [(0, "inconsistent")]


@pytest.mark.slow
def test_harness_counts_add_up_on_a_few_documents(tmp_path, capsys):
    """Every expected cell lands in exactly one category, for every rendering; the control is exact.

    Today's numbers on the three documents, for the record (not asserted: the reading engine is being
    rewritten): one_line all flagged (no_tables), single_space/txt table 4 of the 2019 seeds flagged,
    spans_as_cells silently wrong (rows whose label spans columns read with the span's empty cells as
    values, reports ``loaded``). The other degradations are asserted to have no silently wrong cell.
    """
    documents = ["tests/fixtures/html/seed_000.html", "samples/001_f11dda0cfbad3174.txt",
                 "tests/fixtures/html/word_export_2021.html"]
    argv = ["--out", str(tmp_path)] + [a for d in documents for a in ("--document", d)]
    status, outcomes = degrade.run(argv)
    out = capsys.readouterr().out
    assert status == 0  # no --fail-on-silent
    assert {o.document for o in outcomes} == set(documents)
    per_document = {"tests/fixtures/html/seed_000.html": len(expected_cells("seed_000.yaml")),
                    "samples/001_f11dda0cfbad3174.txt": len(expected_cells("seed_001.yaml")),
                    "tests/fixtures/html/word_export_2021.html": len(expected_cells("word_export_2021.yaml"))}
    for o in outcomes:
        assert sum(o.counts[c] for c in degrade.CATEGORIES) == o.cells == per_document[o.document]
        assert (tmp_path / o.file_name).is_file()
    renderings = sum(len(degrade.degrade(degrade.build_model(ROOT / d), n)) for d in documents
                     for n in degrade.DEGRADATIONS)
    assert len(outcomes) == renderings
    control = [o for o in outcomes if o.degradation == "rerender"]
    assert control and all(o.counts["exact"] == o.cells and o.status != "failed" for o in control)
    erased = [o for o in outcomes if o.document.endswith("word_export_2021.html") and o.degradation == "one_line"]
    assert [o.counts["erased"] for o in erased] == [1]  # 行政强制's &nbsp; cell vanished from the page text
    assert all(o.counts["silent"] == 0 and o.extra == 0 for o in outcomes if o.degradation != "spans_as_cells")
    total = [line for line in out.splitlines() if line.startswith("| total")][0]
    cells = int(total.split("|")[4])
    assert cells == sum(o.cells for o in outcomes)
