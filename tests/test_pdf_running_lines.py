"""Running headers/footers and page-number lines do not stop a table cut by a page break from merging.

Fixtures are synthetic, generated in memory (deterministic bytes) by the repo's own PDF renderer
``tools.synth_pdf.render_pdf`` from a seeded synthetic report (``tools.synth.build_report``): the same
report is rendered plain and with a running header (report title) on every page plus a footer in
one of the page-number forms real producers print (WPS, Word "save as PDF", Founder), optionally
with the applications table's three column-header rows repeated on the continuation page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import extractors.pdf as pdf_mod
from common.document import Document, Table
from extractors.pdf import extract_pdf
from extractors.pdf_pages import Line, Page, mark_running_lines
from tools.synth import Report, build_report
from tools.synth_pdf import render_pdf
from xxgk.process import process_bytes
from xxgk.records import SourceItem

HEADER = "某某区人民政府2023年政府信息公开工作年度报告"
FOOTERS: dict[str, Callable[[int, int], str]] = {
    "em_dash": lambda p, n: f"— {p} —",
    "hyphen": lambda p, n: f"- {p} -",
    "di_ye": lambda p, n: f"第 {p} 页",
    "di_ye_gong": lambda p, n: f"第{p}页 共{n}页",
    "slash": lambda p, n: f"{p}/{n}",
}
SEED = 3


def grid_texts(table: Table) -> list[list[str | None]]:
    return [[c.text if c else None for c in row] for row in table.grid()]


def report(index: int) -> tuple[Report, list]:
    return build_report(index, seed=SEED, layouts=("pdf",))


def facts_of(data: bytes, name: str) -> dict[tuple[str, str, str], float | None]:
    rec = process_bytes(data, SourceItem(source_uri=f"file:///synthetic/{name}.pdf", path=f"{name}.pdf"))
    assert rec.report["status"] == "loaded"
    return {(f["table_code"], f["row_code"], f["col_code"]): f["value"] for f in rec.facts}


def truth_of(rep: Report) -> dict[tuple[str, str, str], float | None]:
    return {k: v[3] for k, v in rep.cells.items()}


def check_merged(doc: Document, plain: Document) -> None:
    # Table 3 (applications) starts on page 1 and continues on page 2: one table, two pieces.
    assert [t.locator for t in doc.tables] == ["p1 t1", "p1 t2; p2 t1", "p2 t2"]
    assert [t.locator for t in plain.tables] == ["p1 t1", "p1 t2; p2 t1", "p2 t2"]
    for ours, base in zip(doc.tables, plain.tables, strict=True):
        assert grid_texts(ours) == grid_texts(base)


@pytest.mark.parametrize("form", sorted(FOOTERS))
@pytest.mark.parametrize("index", [0, 1])
def test_running_header_and_footer_do_not_block_the_merge(form: str, index: int) -> None:
    rep, blocks = report(index)
    plain = extract_pdf(render_pdf(blocks))
    data = render_pdf(blocks, header=HEADER, footer=FOOTERS[form])
    doc = extract_pdf(data)
    check_merged(doc, plain)
    t3 = doc.tables[1].grid()
    assert t3[0][3].text == "申请人情况" and t3[2][4].text == "商业企业"
    # The header is kept once, first; the page numbers are gone; the rest of the narrative is unchanged.
    assert doc.text == HEADER + "\n" + plain.text
    assert FOOTERS[form](1, 2) not in doc.text and FOOTERS[form](2, 2) not in doc.text
    assert doc.title == plain.title
    facts = facts_of(data, f"running_{form}_{index}")
    truth = truth_of(rep)
    assert len(truth) == 200
    assert {k: facts.get(k, "missing") for k in truth} == truth


def test_continuation_repeating_the_column_header_rows() -> None:
    rep, blocks = report(0)
    plain = extract_pdf(render_pdf(blocks))
    data = render_pdf(blocks, header=HEADER, footer=FOOTERS["di_ye_gong"], repeat_head=3)
    doc = extract_pdf(data)
    check_merged(doc, plain)
    # The page-2 piece begins with the three header rows, dropped at the merge.
    assert doc.tables[1].n_rows == plain.tables[1].n_rows == 28
    facts = facts_of(data, "running_repeat_head")
    truth = truth_of(rep)
    assert {k: facts.get(k, "missing") for k in truth} == truth


def test_without_running_line_detection_the_table_stays_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture really exercises the mechanism: with detection off, the header/footer block the merge."""
    _, blocks = report(0)
    data = render_pdf(blocks, header=HEADER, footer=FOOTERS["em_dash"])
    monkeypatch.setattr(pdf_mod, "mark_running_lines", lambda pages: None)  # as extract_pdf looks it up
    doc = extract_pdf(data)
    assert [t.locator for t in doc.tables] == ["p1 t1", "p1 t2", "p2 t1", "p2 t2"]


def line(text: str, top: float) -> Line:
    return Line(text, 50.0, 300.0, top, top + 9.0, 9.0)


def page(number: int, *lines: Line) -> Page:
    return Page(number=number, height=842.0, lines=list(lines))


def test_running_lines_are_found_by_text_and_position_across_pages() -> None:
    pages = [
        page(1, line("示例县政府办公室 2023", 30), line("单位：件", 400), line("只在一页", 30.5),
             line("示例县政府办公室 第1页", 810)),
        page(2, line("示例县政府办公室 2023", 31.5), line("单位：件", 400), line("示例县政府办公室 第2页", 811)),
        page(3, line("示例县政府办公室 2023", 120), line("示例县政府办公室 第13页", 809)),
    ]
    mark_running_lines(pages)
    marks = [[ln.running for ln in p.lines] for p in pages]
    # Same text, same height (within 3 pt), top/bottom band, two or more pages: running. The body
    # line repeated mid-page, a line on one page only and the same text lower down are not.
    assert marks == [[True, False, False, True], [True, False, True], [False, True]]
