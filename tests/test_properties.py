"""Property tests (hypothesis, derandomised): nothing crashes, and no number is ever invented.

Inputs are arbitrary bytes and text, and synthetic reports (tools/synth.py, built from the reference)
whose table cells are replaced by strings drawn from a strategy (numbers in every form reference §7
lists, garbled numbers, labels, junk) and whose rows lose or gain cells. Every input goes through
the whole per-file path (``process_bytes``: extractor, mapper, inference, metadata, sections).

Properties:
* extraction raises nothing but ``ExtractionError``; ``process_bytes`` never records ``internal_error``;
* every fact with a value (reported or inferred) has a raw text that is a cell of the input, and the
  digits of the value appear in that raw text (nothing is rounded, completed or made up);
* a garbled number (`1e308`, `12,34,5`, `1.5e3`) is never a reported value.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import ExtractionError
from extractors.detect import extract_bytes
from tests.conftest import SAMPLES
from tools.synth import build_report
from tools.synth_render import LCell, render_docx, render_html, render_text_pipe, render_text_tab
from xxgk.process import process_bytes
from xxgk.records import SourceItem

FAST = settings(derandomize=True, deadline=None, max_examples=60, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEED_TEXT = (SAMPLES / "000_4742d3cb85c1027b.txt").read_text(encoding="utf-8")

# -------------------------------------------------------------------------- strategies

GOOD_NUMBERS = ["0", "7", "15", "+37", "-164", "--253", "增1423", "减4", "1（增）", "34（减）", "36462万元",
                "202529227.9元", "588项", "96171.6", "1,234", "\u30000", "０１２", "３６４６２万元", " 12 "]
GARBLED = ["1e308", "1.5e3", "12,34,5", "1.2.3", "NaN", "99999999999999999999999", "12 34", "1/2", "inf",
           "0x1F", "1_000", "١٢٣", "Ⅻ", "½", "²", "1e-5"]
PLACEHOLDERS = ["", "-", "—", "/", "无", "\xa0", "--", "×"]
LABELS = ["总计", "自然人", "商业企业", "（一）予以公开", "规章", "行政许可", "结果维持", "1.属于国家秘密", "备注",
          "信息内容", "本年新制作数量", "三、本年度办理结果", "第二十条第（一）项"]

numbers = st.one_of(
    st.sampled_from(GOOD_NUMBERS + GARBLED + PLACEHOLDERS),
    st.integers(-10**18, 10**18).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**9, max_value=10**9).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
cell_text = st.one_of(numbers, st.sampled_from(LABELS),
                      st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))

_HTML_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f<>&\"']")


def _clean(text: str) -> str:
    """Cell text the renderers can carry verbatim (no markup, no control characters, no edge spaces)."""
    return _HTML_TEXT.sub("", text).strip().replace("\n", "").replace("\r", "")


@st.composite
def mutated_report(draw):
    """A synthetic report whose table cells are rewritten, dropped or duplicated by the strategy."""
    report, blocks = build_report(draw(st.integers(0, 400)), seed=draw(st.integers(0, 3)),
                                  layouts=("html",), templates=("2019", "2021"))
    edits = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40), st.integers(0, 8),
                                    st.sampled_from(["replace", "drop", "dup"]), cell_text), max_size=12))
    tables = [i for i, (kind, _) in enumerate(blocks) if kind == "table"]
    out = [(kind, [list(r) for r in val] if kind == "table" else val) for kind, val in blocks]
    for t, r, c, op, text in edits:
        rows = out[tables[t % len(tables)]][1]
        row = rows[r % len(rows)]
        if not row:
            continue
        k = c % len(row)
        if op == "replace":
            row[k] = LCell(_clean(text), row[k].rs, row[k].cs)
        elif op == "drop" and len(row) > 1:
            del row[k]
        elif op == "dup":
            row.insert(k, LCell(_clean(text)))
    layout = draw(st.sampled_from(["html", "text_tab", "text_pipe", "docx"]))
    return layout, out


def _render(layout: str, blocks) -> tuple[bytes, str]:
    if layout == "html":
        return render_html(blocks).encode("utf-8"), "r.html"
    if layout == "docx":
        return render_docx(blocks), "r.docx"
    render = render_text_tab if layout == "text_tab" else render_text_pipe
    return render(blocks).encode("utf-8"), "r.txt"


def _cell_texts(blocks) -> set[str]:
    norm = lambda s: re.sub(r"\s+", "", s)  # noqa: E731 - extractors collapse whitespace differently
    return {norm(c.text) for kind, val in blocks if kind == "table" for row in val for c in row}


# -------------------------------------------------------------------------- checks


def _digits(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch in "0123456789")


def value_digits(value: float) -> str:
    """The significant digits of a value as written in decimal (12.50 -> '125', 1200 -> '12', 0 -> '')."""
    plain = format(abs(Decimal(repr(value))), "f")
    return plain.replace(".", "").strip("0")


def _places(value: float) -> int:
    return max(0, -Decimal(repr(value)).normalize().as_tuple().exponent)


def assert_no_invented_numbers(records, cell_texts: set[str] | None = None, source: str | None = None) -> int:
    """Every valued fact: read from one input cell holding its digits, or derived by an identity.

    A value read from the input (``reported``, or ``inferred`` by splitting run-together digits) has a
    raw text that is an input cell (or part of the input text) holding the value's digits. A value
    derived from an identity (``inferred from …``) has no more decimals than the reported values.
    """
    checked = 0
    reported = [f["value"] for f in records.facts if f["value_status"] == "reported"]
    for fact in records.facts:
        if fact["value"] is None:
            assert fact["value_status"] in ("blank", "placeholder", "text", "missing"), fact
            continue
        assert fact["value_status"] in ("reported", "inferred"), fact
        raw = fact["raw_text"]
        if fact["value_status"] == "inferred" and "inferred from" in (fact["note"] or ""):
            assert _places(fact["value"]) <= max(map(_places, reported), default=0), fact
            continue
        if cell_texts is not None and fact["value_status"] == "reported":
            assert re.sub(r"\s+", "", raw) in cell_texts, fact
        if source is not None:  # a cell wrapped over lines is joined with a space
            assert re.sub(r"\s+", "", raw) in re.sub(r"\s+", "", source), fact
        assert value_digits(fact["value"]) in _digits(raw), fact
        if fact["value_status"] == "reported":
            assert raw.strip() not in GARBLED, fact
        checked += 1
    return checked


def assert_no_internal_error(records) -> None:
    codes = [e["error_code"] for e in records.errors]
    assert "internal_error" not in codes, records.errors
    if records.report["status"] == "failed":
        assert codes and records.errors[0]["message"], records.report


def run(data: bytes, name: str):
    records = process_bytes(data, SourceItem("file:///prop/" + name, "/prop/" + name, name=name))
    assert_no_internal_error(records)
    return records


# -------------------------------------------------------------------------- properties


@settings(FAST, max_examples=150)
@given(st.binary(max_size=3000), st.sampled_from(["", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body><table>",
                                                   b"\xef\xbb\xbf", b"\xff\xfe", b"<?xml version='1.0'?>"]),
       st.sampled_from(["x.html", "x.txt", "x.docx", "x.pdf", "x", "x.doc"]))
def test_arbitrary_bytes_raise_only_extraction_errors(data: bytes, prefix, name: str) -> None:
    data = (prefix.encode() if isinstance(prefix, str) else prefix) + data
    with mock.patch("extractors.office.find_soffice", return_value=None):  # no LibreOffice run per example
        try:
            extract_bytes(data, name)
        except ExtractionError as exc:
            assert exc.code and exc.message
        run(data, name)


@FAST
@given(st.text(max_size=2000), st.sampled_from(["utf-8", "gb18030", "utf-16"]), st.sampled_from(["x.txt", "x.html"]))
def test_arbitrary_text_never_crashes(text: str, codec: str, name: str) -> None:
    data = text.encode(codec, errors="replace")
    records = run(data, name)
    assert_no_invented_numbers(records, source=text if codec == "utf-8" and name == "x.txt" else None)


@settings(FAST, max_examples=100)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["replace", "delete", "insert", "join", "split"]),
                          cell_text), max_size=25))
def test_edited_seed_text_never_invents_numbers(edits) -> None:
    # a real report (tab-started cells, seed 000) with lines replaced, deleted, inserted, run together or cut
    lines = SEED_TEXT.splitlines()
    for pos, op, text in edits:
        k = pos % len(lines)
        cell = "\t" + _clean(text)
        if op == "replace" and lines[k].startswith("\t"):
            lines[k] = cell
        elif op == "delete":
            del lines[k]
        elif op == "insert":
            lines.insert(k, cell)
        elif op == "join" and k + 1 < len(lines):
            lines[k : k + 2] = [lines[k] + lines[k + 1].lstrip("\t")]
        elif op == "split" and len(lines[k]) > 2:
            lines[k : k + 1] = [lines[k][: len(lines[k]) // 2], lines[k][len(lines[k]) // 2 :]]
    text = "\n".join(lines)
    records = run(text.encode("utf-8"), "x.txt")
    assert_no_invented_numbers(records, source=text)


def test_the_checks_see_the_facts_of_an_unedited_report() -> None:
    # the seed itself: all 198 cells of its tables are read, and every one passes the checks
    records = run(SEED_TEXT.encode("utf-8"), "x.txt")
    assert assert_no_invented_numbers(records, source=SEED_TEXT) == 198


@settings(FAST, max_examples=100)
@given(mutated_report())
def test_mutated_reports_never_invent_numbers(case) -> None:
    layout, blocks = case
    data, name = _render(layout, blocks)
    records = run(data, name)
    assert records.report["status"] != "failed", records.errors
    assert_no_invented_numbers(records, cell_texts=_cell_texts(blocks))


@FAST
@given(st.lists(st.lists(st.tuples(cell_text, st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=9),
                min_size=1, max_size=14))
def test_arbitrary_html_tables(rows) -> None:
    # free-form tables with odd spans (0 included), labels, numbers and junk in any position
    html = ["<html><body><p>三、收到和处理政府信息公开申请情况</p><table>"]
    texts = set()
    for row in rows:
        html.append("<tr>")
        for text, rs, cs in row:
            text = _clean(text)
            texts.add(re.sub(r"\s+", "", text))
            html.append(f'<td rowspan="{rs}" colspan="{cs}">{text}</td>')
        html.append("</tr>")
    html.append("</table></body></html>")
    records = run("".join(html).encode("utf-8"), "x.html")
    assert_no_invented_numbers(records, cell_texts=texts)


def test_value_digits() -> None:
    assert [value_digits(v) for v in (12.5, 1200.0, 0.0, -164.0, 202529227.9, 1e-05)] == \
        ["125", "12", "", "164", "2025292279", "1"]
