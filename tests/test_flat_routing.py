"""Documents whose tables lost their separators are segmented whatever their format (reference §8)."""

from __future__ import annotations

import html
from pathlib import Path

from tests.conftest import load_module
from tests.expected import expected_cells
from tests.test_flat import AMBIGUOUS_000
from transforms.flat import extract_flat, looks_flat
from transforms.segment import segment_flat
from xxgk.process import process_bytes
from xxgk.reading import read_bytes
from xxgk.records import SourceItem

FLAT = Path(__file__).parent / "fixtures" / "flat"
REAL = Path(__file__).parent / "fixtures" / "real"


def _process(path: Path):
    return process_bytes(path.read_bytes(), SourceItem(source_uri=path.as_uri(), path=str(path)))


def _key(fact) -> tuple:
    get = fact.get if isinstance(fact, dict) else lambda name: getattr(fact, name)
    return tuple(get(n) for n in ("table_code", "row_code", "col_code", "value", "value_status", "raw_text", "note"))


def test_html_page_without_table_is_routed_to_segmentation():
    page = FLAT / "seed_000_flat.html"
    assert b"<table" not in page.read_bytes()
    assert "Synthetic fixture made by build_flat.py" in page.read_text(encoding="utf-8")
    fmt, doc = read_bytes(page.read_bytes(), page.name)
    assert (fmt, doc.layout) == ("html", "html_flat")
    assert [(t.section_code, t.n_rows, t.n_cols) for t in doc.tables] == [("s2", 8, 2), ("s3", 23, 2), ("s4", 1, 2)]
    assert doc.title == "常州市武进区人民政府2020年政府信息公开工作年度报告"
    records = _process(page)
    report = records.report
    assert (report["source_format"], report["layout"], report["status"]) == ("html", "html_flat", "partial")
    assert report["template_version"] == "2019"
    assert report["status_reason"].startswith("10 cells missing; 188 cells inferred")
    expected = expected_cells("seed_000.yaml")
    facts = {(f["table_code"], f["row_code"], f["col_code"]): f for f in records.facts}
    assert facts.keys() == expected.keys()
    for key, want in expected.items():
        fact = facts[key]
        if key[0] == "proactive" and key[1] in AMBIGUOUS_000 and fact["value_status"] != "inferred":
            assert (fact["value"], fact["value_status"]) == (None, "missing"), key
            assert fact["note"].startswith(f"ambiguous: {AMBIGUOUS_000[key[1]]} segmentations fit"), key
        else:
            assert (fact["value"], fact["value_status"]) == (want["value"], "inferred"), key
    review = facts[("reviews_litigation", "litigation_direct", "total")]
    assert (review["value"], review["note"]) == (12, "segmented from '3103760061230003' by rl_sum")
    # the same segmentation as the text copy of the flattened seed
    text_facts = segment_flat(extract_flat((FLAT / "seed_000_flat.txt").read_text(encoding="utf-8"))).facts
    assert sorted(map(_key, records.facts)) == sorted(map(_key, text_facts))
    assert [s["section_code"] for s in records.sections] == ["preamble", "s1", "s2", "s3", "s4", "s5", "s6"]


def test_page_with_a_report_table_is_not_rerouted_even_with_flattened_lines():
    """A real table of template rows wins: flattened lines elsewhere do not replace it."""
    page = (REAL / "pingtan_2021.html").read_text(encoding="utf-8")
    flat_lines = (FLAT / "seed_000_flat.txt").read_text(encoding="utf-8").splitlines()
    rows = [line for line in flat_lines if line.startswith(("一、本年", "二、上年", "（一）予以", "2.", "3.", "4."))]
    assert len(rows) >= 10
    extra = "".join(f"<p>{html.escape(line)}</p>" for line in rows)
    anchor = "2021年，无收取信息处理费情况。</font>"
    assert page.count(anchor) == 1
    _, doc = read_bytes(page.replace(anchor, anchor + extra).encode("utf-8"), "p.html")
    assert looks_flat(doc.text)  # the flattened lines alone would route it
    assert doc.layout == "html" and len(doc.tables) == 3


def test_committed_page_is_the_builder_output():
    build = load_module(FLAT / "build_flat.py")
    seed = next((Path(__file__).resolve().parent.parent / "samples").glob("000_*.txt"))
    assert (FLAT / "seed_000_flat.html").read_text(encoding="utf-8") == build.flat_page(
        seed.read_text(encoding="utf-8"), seed.name)


def test_text_flat_files_keep_their_layout():
    _, doc = read_bytes((FLAT / "seed_002_flat.txt").read_bytes(), "seed_002_flat.txt")
    assert doc.layout == "text_flat"
