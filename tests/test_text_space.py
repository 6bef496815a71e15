"""Space-aligned text tables (``pdftotext -layout``, copies of Word/PDF tables): layout ``text_space``."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.text import detect_text_layout, split_space_row
from tests.conftest import SAMPLES, load_module
from tools.accuracy import compare
from xxgk.process import process_bytes
from xxgk.records import SourceItem

VARIANTS = Path(__file__).parent / "fixtures" / "variants"
CASES = [("spaced_000.txt", "seed_000.yaml"), ("spaced_pingtan_2021.txt", "pingtan_2021.yaml"),
         ("spaced_single_002.txt", "seed_002.yaml")]


def test_committed_files_are_the_builder_output():
    build = load_module(VARIANTS / "build_spaced.py")
    for name, (source, single) in build.SOURCES.items():
        assert (VARIANTS / name).read_text(encoding="utf-8") == build.render(build.ROOT / source, single), name


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_space_aligned_text_gives_exactly_the_facts_of_its_source(name, expected):
    path = VARIANTS / name
    records = process_bytes(path.read_bytes(), SourceItem(path.resolve().as_uri(), str(path)))
    assert records.report["layout"] == "text_space" and records.report["status"] == "loaded"
    assert compare(records.facts, expected) == []
    assert records.report["n_facts"] in (198, 200)


@pytest.mark.parametrize(("line", "cells"), [
    ("行政处罚    814    -164    158268", (["行政处罚"], ["814", "-164", "158268"])),
    ("三、本年度办理结果 （一）予以公开 75 5 0 0 0 0 80",
     (["三、本年度办理结果", "（一）予以公开"], ["75", "5", "0", "0", "0", "0", "80"])),
    ("（三）不予公开    1. 属于国家秘密    0    —    /", (["（三）不予公开", "1. 属于国家秘密"], ["0", "—", "/"])),
    ("本年收费金额    36462万元    +37    1（增）", (["本年收费金额"], ["36462万元", "+37", "1（增）"])),
    ("1    0    0    0    1", ([], ["1", "0", "0", "0", "1"])),
    ("商 业 企 业", None),  # a label with spaces inside stays a label
    ("全年共收到政府信息公开申请 640 件。", None),  # prose that mentions a number
    ("12", None),  # one value without a label
    # a label's item number standing apart is not the row's first value (the row would shift by one)
    ("（三）不予公开   1.   0  2  0  0  0  0  2", (["（三）不予公开", "1."], ["0", "2", "0", "0", "0", "0", "2"])),
    ("全年共受理申请 120 件。办结 118", None),  # a sentence
])
def test_a_row_is_its_label_cells_and_the_run_of_values_that_ends_it(line, cells):
    assert split_space_row(line) == cells


def test_other_text_layouts_are_not_taken_for_space_aligned_tables():
    assert detect_text_layout(next(SAMPLES.glob("000_*.txt")).read_text(encoding="utf-8")) == "text_tab"
    assert detect_text_layout(next(SAMPLES.glob("001_*.txt")).read_text(encoding="utf-8")) == "text_pipe"
    assert detect_text_layout((VARIANTS / "narrative_only.txt").read_text(encoding="utf-8")) is None


def test_a_gap_between_aligned_values_is_a_blank_cell_and_a_short_end_stays_short():
    from extractors.text import extract_text

    text = "\n".join([
        "本年度办理结果      自然人    商业企业    总计",
        "（一）予以公开      75        5           80",
        "（二）部分公开      3                     3",
        "（三）不予公开      1",
        "（四）无法提供      2         0           2",
    ] * 3)
    doc = extract_text(text, "text_space")
    rows = [[c.text for c in row] for row in doc.tables[0].rows()]
    assert rows[2] == ["（二）部分公开", "3", "", "3"]  # the blank 商业企业 cell keeps its column
    assert rows[3] == ["（三）不予公开", "1"]  # where the missing values belong is not known: not guessed
