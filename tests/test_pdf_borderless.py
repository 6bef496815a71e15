"""Borderless PDF tables (no ruling lines) are read from the layout text as ``pdf_space``.

Fixtures are synthetic, generated in memory (deterministic bytes) by the repo's own PDF renderer
``tools.synth_pdf.render_pdf(blocks, ruled=False)`` from seeded synthetic reports
(``tools.synth.build_report``), whose ground truth is the report's cells. Labels wrap inside their
cells, so a row's label continues on the following lines at the same character columns. The ruled
PDF is real: tests/fixtures/real/huaian_2024.pdf.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.pdf import extract_pdf
from extractors.text import extract_text
from tools.synth import build_report
from tools.synth_pdf import render_pdf
from xxgk.process import process_bytes
from xxgk.reading import read_bytes
from xxgk.records import SourceItem

SEED = 3
REAL = Path(__file__).parent / "fixtures" / "real" / "huaian_2024.pdf"


def facts_of(data: bytes, name: str) -> tuple[dict, dict[tuple[str, str, str], tuple[float | None, str]]]:
    rec = process_bytes(data, SourceItem(source_uri=f"file:///synthetic/{name}.pdf", path=f"{name}.pdf"))
    facts = {(f["table_code"], f["row_code"], f["col_code"]): (f["value"], f["value_status"]) for f in rec.facts}
    return rec.report, facts


@pytest.mark.parametrize("index", [0, 1, 5])
def test_borderless_tables_give_the_ground_truth(index: int) -> None:
    rep, blocks = build_report(index, seed=SEED, layouts=("pdf",))
    report, facts = facts_of(render_pdf(blocks, ruled=False), f"borderless_{index}")
    truth = {k: (v[3], v[4]) for k, v in rep.cells.items()}
    assert report["layout"] == "pdf_space" and report["status"] == "loaded"
    assert {"proactive", "applications", "reviews_litigation"} == {k[0] for k in truth}
    assert facts == truth


def test_blank_total_column_is_placed_by_character_column() -> None:
    """Report 0 leaves the total column of the outcome rows blank: those rows hold six values for
    seven columns, placed by the columns of the fuller rows of the same block (total stays blank)."""
    rep, blocks = build_report(0, seed=SEED, layouts=("pdf",))
    assert "blank_totals" in rep.noise
    assert rep.cells[("applications", "granted", "total")][3:5] == (None, "blank")
    text = "\n".join([
        "       一、本年新收            1     0      1      2",
        "       三、本年度  （一）予以公开  0     0      0",
        "       办理结果",
        "       四、结转               1     0      1      2",
        "       行政许可    7",
    ])
    rows = [[c.text for c in row] for row in extract_text(text, layout="pdf_space").tables[0].rows()]
    assert rows == [
        ["一、本年新收", "1", "0", "1", "2"],
        ["三、本年度办理结果", "（一）予以公开", "0", "0", "0", ""],
        ["四、结转", "1", "0", "1", "2"],
        ["行政许可", "7"],  # starts at no value column of the block: left as it is
    ]


def test_wrapped_label_fragments_join_their_cells_by_column() -> None:
    text = "\n".join([
        "       三、本年度  （一）予以公开       0     0      0",
        "       办理结果",
        "              （二）部分公开（区分处   0     0      0",
        "              理的，只计这一情形，不",
        "              计其他情形）",
        "              （三）不予  1.属于国  0     0      0",
        "              公开     家秘密",
        "       四、结转下年度继续办理          1     0      1",
        "       第二十条第（五）项",
    ])
    rows = [[c.text for c in row] for row in extract_text(text, layout="pdf_space").tables[0].rows()]
    assert rows == [
        ["三、本年度办理结果", "（一）予以公开", "0", "0", "0"],
        ["（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "0", "0", "0"],
        ["（三）不予公开", "1.属于国家秘密", "0", "0", "0"],
        ["四、结转下年度继续办理", "1", "0", "1"],
    ]
    # text_space keeps its one-line rows: the fragments are not joined there.
    plain = [[c.text for c in row] for row in extract_text(text, layout="text_space").tables[0].rows()]
    assert plain[0] == ["三、本年度", "（一）予以公开", "0", "0", "0"]


def test_fragment_above_the_first_row_joins_in_front() -> None:
    text = "\n".join([
        "       本机关不",
        "       掌握相关   3    4",
        "       其他       1    2",
    ])
    rows = [[c.text for c in row] for row in extract_text(text, layout="pdf_space").tables[0].rows()]
    assert rows == [["本机关不掌握相关", "3", "4"], ["其他", "1", "2"]]


def test_ruled_pdf_is_unaffected() -> None:
    data = REAL.read_bytes()
    fmt, doc = read_bytes(data, REAL.name)
    plain = extract_pdf(data)
    assert fmt == "pdf" and doc.layout == "pdf"
    assert [[c.text for c in t.cells] for t in doc.tables] == [[c.text for c in t.cells] for t in plain.tables]
