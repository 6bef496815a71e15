"""The reading engine on small tables: the readings a row leaves open, and the identities choosing among them
(transforms/readings.py, transforms/solve.py, transforms/columns.py)."""

from __future__ import annotations

from common.document import Cell, Table
from common.values import RUN_PIECES
from transforms.mapper import map_tables
from transforms.readings import SumRule, cell_readings, split_readings
from transforms.registry import load_registry

APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


def _texts(reading):
    return [p.text for p in reading.pieces]


def test_a_row_of_as_many_cells_as_columns_has_one_reading():
    cells = [Cell(0, i, t) for i, t in enumerate(["1", "2", "3"])]
    readings, problem = cell_readings(cells, 3)
    assert [(_texts(r), r.kind) for r in readings] == [(["1", "2", "3"], "as_printed")] and problem is None


def test_a_short_row_is_read_every_way_its_cells_can_stand():
    readings, problem = cell_readings([Cell(0, 0, "5"), Cell(0, 1, "7")], 3)
    assert problem == "short row: 2 values for 3 columns"
    assert [_texts(r) for r in readings] == [["5", "7", None], ["5", None, "7"], [None, "5", "7"]]


def test_span_padding_and_a_trailing_note_are_dropped_before_counting():
    cells = [Cell(0, 0, "1"), Cell(0, 1, "2"), Cell(0, 2, ""), Cell(0, 3, "备注")]
    readings, problem = cell_readings(cells, 2)
    assert [_texts(r) for r in readings] == [["1", "2"]] and problem is None


def test_an_extra_value_cell_is_read_without_each_one():
    readings, problem = cell_readings([Cell(0, i, t) for i, t in enumerate(["1", "2", "3"])], 2)
    assert problem == "extra cells: 3 values for 2 columns"
    assert [_texts(r) for r in readings] == [["1", "2"], ["1", "3"], ["2", "3"]]


def test_a_run_is_cut_by_the_value_grammar_and_its_total_never_across_a_space():
    count = RUN_PIECES["count"]
    total = [SumRule(6, (0, 1, 2, 3, 4, 5))]
    assert [_texts(r) for r in split_readings("640020470", [count] * 7, total)] == [
        ["64", "0", "0", "2", "0", "4", "70"]]
    # a space the run keeps is a cell boundary: 1 0 | 10 cannot be read as 10 | 1 0
    assert [_texts(r) for r in split_readings("1 010 0 0 011", [count] * 7, total)] == [
        ["1", "0", "10", "0", "0", "0", "11"]]
    assert split_readings("2002", [count] * 7, total) == []  # 4 digits never make 7 values


def _table3(rows: list[tuple[str, list[tuple[int, str]]]]) -> Table:
    """An aligned table 3: header cells at grid columns 1..7, data cells where their tuples put them."""
    cells = [Cell(0, 0, "申请人情况")] + [Cell(0, i + 1, label) for i, label in enumerate(APPLICANTS)]
    for r, (label, values) in enumerate(rows, start=1):
        cells.append(Cell(r, 0, label, locator=f"r{r} c0"))
        cells += [Cell(r, col, text, locator=f"r{r} c{col}") for col, text in values]
    return Table(cells=cells, aligned=True)


def _row(*values: str) -> list[tuple[int, str]]:
    return [(i + 1, v) for i, v in enumerate(values)]


def test_a_cell_lost_in_the_middle_of_an_aligned_row_is_read_by_position():
    # 予以公开 lost its 科研机构 cell (a PDF cell without text or ruling): by order its values would shift left
    granted = [(1, "5"), (2, "1"), (4, "0"), (5, "0"), (6, "0"), (7, "6")]
    table = _table3([
        ("一、本年新收政府信息公开申请数量", _row("6", "1", "0", "0", "0", "0", "7")),
        ("二、上年结转政府信息公开申请数量", _row("0", "0", "0", "0", "0", "0", "0")),
        ("（一）予以公开", granted),
        ("（二）部分公开", _row("1", "0", "0", "0", "0", "0", "1")),
        ("（七）总计", _row("6", "1", "0", "0", "0", "0", "7")),
        ("四、结转下年度继续办理", _row("0", "0", "0", "0", "0", "0", "0")),
    ])
    report = map_tables([table])
    facts = {(f.row_code, f.col_code): f for f in report.facts if f.table_code == "applications"}
    codes = load_registry().applicant_codes
    got = [(facts[("granted", c)].value, facts[("granted", c)].value_status) for c in codes]
    assert got == [(5, "inferred"), (1, "inferred"), (None, "missing"), (0, "inferred"), (0, "inferred"),
                   (0, "inferred"), (6, "inferred")]
    assert facts[("granted", "natural_person")].note == (
        "short row: 6 values for 7 columns: placed by the header's columns (checked by app_applicant_sum, "
        "app_results_sum)")
    assert facts[("granted", "research")].note == "short row: 6 values for 7 columns: no printed value for this cell"


def test_the_identities_reject_a_reading_that_breaks_them_and_keep_the_printed_numbers():
    # a well-formed row that breaks its total is read as printed: nothing to choose, nothing corrected
    table = _table3([("（一）予以公开", _row("5", "1", "0", "0", "0", "0", "9"))])
    report = map_tables([table])
    total = next(f for f in report.facts if f.row_code == "granted" and f.col_code == "total")
    assert (total.value, total.value_status) == (9, "reported")
