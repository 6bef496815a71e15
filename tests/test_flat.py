"""Flattened tables (reference §8): detection, extraction and segmentation by the identities."""

from pathlib import Path

import pytest

from common.document import Document
from common.errors import ExtractionError
from extractors.text import extract_text
from tests.expected import expected_cells
from transforms.flat import extract_flat, looks_flat, split_flat_line
from transforms.mapper import Fact
from transforms.registry import load_registry
from transforms.segment import row_splits, segment_flat

FLAT = Path(__file__).parent / "fixtures" / "flat"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def applicant_splits(run: str) -> list[tuple[int, ...]]:
    return [tuple(map(int, cut)) for cut in row_splits(load_registry(), "applications", run)]


def review_splits(run: str) -> list[tuple[int, ...]]:
    return [tuple(map(int, cut)) for cut in row_splits(load_registry(), "reviews_litigation", run)]


def _read(name: str) -> str:
    return (FLAT / name).read_text(encoding="utf-8")


def _facts(text: str) -> dict[tuple[str, str, str], Fact]:
    report = segment_flat(extract_flat(text))
    return {(f.table_code, f.row_code, f.col_code): f for f in report.facts}


# table 2 rows of the flattened seeds that no rule can split; every other cell is inferred exactly
AMBIGUOUS_000 = {
    "licensing": 9,  # 814 | -1…-1641582 or the placeholder "-": 814|-|164158268
    "other_services": 8,  # 0 | 882197421 cut anywhere
    "penalties": 7,
    "coercion": 4,
    "procurement": 7,  # 494 | 36462万元 is one of 7 cuts of 49436462万元
}
AMBIGUOUS_002 = {"licensing": 7, "other_services": 7, "penalties": 5, "coercion": 2, "procurement": 8}


@pytest.mark.parametrize(("seed", "ambiguous"), [("000", AMBIGUOUS_000), ("002", AMBIGUOUS_002)])
def test_flattened_seed_matches_seed_values(seed, ambiguous):
    text = _read(f"seed_{seed}_flat.txt")
    assert looks_flat(text)
    doc = extract_flat(text)
    assert doc.layout == "text_flat"
    assert [(t.section_code, t.n_rows, t.n_cols) for t in doc.tables] == [("s2", 8, 2), ("s3", 23, 2), ("s4", 1, 2)]
    report = segment_flat(doc)
    assert report.templates == {"proactive": "2019", "applications": "2019", "reviews_litigation": "common"}
    assert report.unmapped == [] and report.warnings == []
    got = {(f.table_code, f.row_code, f.col_code): f for f in report.facts}
    expected = expected_cells(f"seed_{seed}.yaml")
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        fact = got[key]
        if key[0] == "proactive" and key[1] in ambiguous:
            # the cuts disagree on the row; a cell every cut gives alike (the first value) is still certain
            if fact.value_status == "inferred":
                assert fact.value == want["value"] and "cuts that fit the value formats agree" in fact.note, key
            else:
                assert (fact.value, fact.value_status) == (None, "missing"), key
                assert fact.note.startswith(f"ambiguous: {ambiguous[key[1]]} segmentations fit"), (key, fact.note)
            continue
        assert (fact.value, fact.value_status) == (want["value"], "inferred"), (key, fact)
        assert fact.note.startswith("segmented from ")
    # the narrative stays readable; table rows leave it
    assert "二、主动公开政府信息情况" in doc.text and "3103760061230003" not in doc.text


def test_seed_000_notes_name_the_identities():
    facts = _facts(_read("seed_000_flat.txt"))
    new = facts[("applications", "new_received", "natural_person")]
    assert (new.value, new.raw_text) == (190, "190")
    assert new.note == "segmented from '190120000202' by app_applicant_sum"
    assert new.label_text == "一、本年新收政府信息公开申请数量"
    review = facts[("reviews_litigation", "litigation_direct", "total")]
    assert (review.value, review.note) == (12, "segmented from '3103760061230003' by rl_sum")
    fees = facts[("proactive", "fees", "items_change")]
    assert (fees.value, fees.value_status, fees.raw_text) == (37, "inferred", "+37")
    assert "only split obeying the value formats" in fees.note


def test_ambiguous_rows_stay_missing_with_the_reason():
    facts = _facts(_read("ambiguous_rows_flat.txt"))
    for code in ("rejected_petition", "rejected_duplicate"):
        for col in ("natural_person", "commercial", "research"):
            fact = facts[("applications", code, col)]
            assert (fact.value, fact.value_status, fact.raw_text) == (None, "missing", "101000011")
            assert fact.note == ("ambiguous: 2 segmentations fit app_applicant_sum, app_results_sum "
                                 "(run '101000011')")
        # 1|0|10|0|0|0|11 and 10|1|0|0|0|0|11 agree on the total and the three zeros
        total = facts[("applications", code, "total")]
        assert (total.value, total.value_status, total.raw_text) == (11, "inferred", "11")
        assert total.note == ("segmented from '101000011': the 2 cuts that fit app_applicant_sum, "
                              "app_results_sum agree on this cell")
    held = [facts[("applications", "unavailable_not_held", c)].value for c in
            ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org", "total")]
    assert held == [20, 2, 0, 0, 0, 0, 22]
    note = facts[("applications", "unavailable_not_held", "total")].note
    assert note == "segmented from '202000022' by app_applicant_sum, app_results_sum"
    assert facts[("applications", "total_handled", "research")].value == 10


def test_penalties_example_from_the_reference_is_ambiguous():
    # 2648 | -18 | 538 is one reading; 2648|-1|8538, 2648|-185|38, 2648|-1853|8 and the placeholder
    # reading 2648|-|18538 obey the same formats, and table 2 has no identity to choose: no value.
    text = "信息内容上一年项目数量本年增/减处理决定数量\n行政处罚2648-18538\n"
    doc = Document("text_flat", text, extract_flat(text).tables)
    facts = segment_flat(doc).facts
    penalties = [f for f in facts if f.row_code == "penalties"]
    assert [(f.col_code, f.value, f.value_status) for f in penalties] == [
        ("prior_items", 2648, "inferred"), ("items_change", None, "missing"), ("decisions", None, "missing")]
    # every cut starts 2648: that cell is certain, the rest is not
    assert penalties[0].note == "segmented from '2648-18538': the 5 cuts that fit the value formats agree on this cell"
    assert penalties[1].note == "ambiguous: 5 segmentations fit the value formats (run '2648-18538')"


def test_reference_row_and_splits():
    assert applicant_splits("640020470") == [(64, 0, 0, 2, 0, 4, 70)]
    assert applicant_splits("101000011") == [(1, 0, 10, 0, 0, 0, 11), (10, 1, 0, 0, 0, 0, 11)]
    assert applicant_splits("2002") == []  # seed 003's short row: 4 values can never make 7
    assert review_splits("3103760061230003") == [(3, 1, 0, 3, 7, 6, 0, 0, 6, 12, 3, 0, 0, 0, 3)]
    assert applicant_splits("9" * 48) == [] and review_splits("9" * 48) == []  # bounded work
    assert split_flat_line("一、本年新收政府信息公开申请数量640020470") == ("一、本年新收政府信息公开申请数量", "640020470")
    assert split_flat_line("行政许可121（增）0") == ("行政许可", "121（增）0")
    assert split_flat_line("\t行政许可") is None


def test_row_breaking_its_identity_is_missing_not_guessed():
    text = _read("seed_002_flat.txt").replace("2.重复申请0000000", "2.重复申请2000003")
    facts = _facts(text)
    fact = facts[("applications", "rejected_duplicate", "total")]
    assert (fact.value_status, fact.raw_text) == ("missing", "2000003")
    assert fact.note == "no segmentation satisfies the identities (app_applicant_sum) (run '2000003')"
    assert facts[("applications", "granted", "natural_person")].value == 1


def test_2021_table_2_unique_splits_and_header_unit():
    text = "\n".join([
        "二、主动公开政府信息情况", "第二十条第（一）项", "信息内容本年制发件数本年废止件数现行有效件数",
        "规章013", "行政规范性文件2530", "第二十条第（五）项", "信息内容本年处理决定数量", "行政许可158268",
        "第二十条第（八）项", "信息内容本年收费金额（单位：万元）", "行政事业性收费96171.6",
    ])
    report = segment_flat(extract_flat(text))
    assert report.templates == {"proactive": "2021"}
    facts = {(f.row_code, f.col_code): f for f in report.facts}
    assert [facts[("rules", m)].value for m in ("issued", "repealed", "in_force")] == [0, 1, 3]
    assert facts[("normative_docs", "issued")].note.startswith("ambiguous: 3 segmentations fit")
    assert facts[("licensing", "decisions")].value == 158268
    fee = facts[("fees", "fee_amount")]
    assert (fee.value, fee.unit, fee.amount_yuan, fee.value_status) == (96171.6, "万元", 961716000, "inferred")
    assert facts[("penalties", "decisions")].note == "row not found in table 2"


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.txt")), ids=lambda p: p.name[:3])
def test_normal_layouts_are_not_flat(path):
    text = path.read_text(encoding="utf-8")
    assert not looks_flat(text)
    assert extract_text(text).layout in {"text_tab", "text_pipe"}


def test_hostile_input():
    assert not looks_flat("") and extract_flat("").tables == []
    assert not looks_flat("2020\n" * 50 + "行政许可" + "1" * 5000)
    with pytest.raises(ExtractionError) as err:
        extract_flat("x" * 5_000_001)
    assert err.value.code == "too_large"
    long_run = segment_flat(extract_flat("行政处罚" + "1" * 60))
    penalties = next(f for f in long_run.facts if f.row_code == "penalties")
    assert (penalties.value_status, penalties.note) == (
        "missing", f"run of 60 characters is too long to segment (run {'1' * 60!r})")
