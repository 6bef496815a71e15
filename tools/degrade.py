"""Degradation harness: ``python -m tools.degrade [--detail] [--out DIR] [--fail-on-silent]``.

Every document with hand-read expected values (the ``documents:`` of tests/fixtures/expected/*.yaml)
is read once with the project's own extractor (``extractors.detect.extract_bytes``) into a small
model: its narrative lines and its tables as cell grids (origin cells with spans), each table
filed under the section its labels belong to (table 2 after 二、, table 3 after 三、, table 4 after
四、; a text layout that reads the three tables as one grid is cut where the labels change table).
Each degradation re-renders that model the way the world degrades reports, every rendering goes
through the whole pipeline (``xxgk.process.process_bytes``) and every expected cell is counted once:

- ``exact``: value, value_status (and unit, where the expected file names one) as expected;
- ``inferred``: the expected value with value_status ``inferred``;
- ``erased``: the degradation itself removed what the source printed in the cell (see below) and
  the pipeline did not put a number there in a ``loaded`` report;
- ``flagged``: the cell is ``missing`` or ``text``, or the report's status is not ``loaded``
  (``partial``, ``no_tables``, ``failed``, a future ``inconsistent``);
- ``silent`` (silently wrong): anything else, i.e. a report whose status is ``loaded`` with a
  value that differs from the expected one (or another unit) as ``reported``/``inferred``, a
  blank or placeholder read as a number or a number read as blank/placeholder, or the cell absent.
  This is the number that must be 0.

Also counted (not part of the cells): ``extra``, facts with a number, in a ``loaded`` report, for
cells the expected file does not have (a template read wrong). ``--fail-on-silent`` exits 1 when
any cell is silently wrong or any extra number appears.

Degradations (each a function ``model, rng -> [Rendering]``, seeded per document; ``rerender`` is
the control: the model rendered without degradation, so a loss there is the harness's, not the
degradation's):

- ``rerender``: HTML, pipe text, DOCX and PDF (tools/synth_render, tools/synth_pdf), nothing degraded.
- ``one_line``: a page-text dump, the whole report on one line with every separator between
  cells and rows removed (HTML sources: the page's visible text, navigation and metadata
  included, every text node stripped and joined; other sources: title, narrative, tables).
  Erased: blank cells (they vanish).
- ``single_space``: table cells separated by one space, one row per line. Erased: blank cells.
  ``txt_zeros``: the same after every zero was printed as a blank cell (as many reports print
  them). Erased: blank and zero cells.
- ``dropped_blanks``: tab rows (one cell per line, blank line between rows) and pipe rows with
  their blank cells dropped (a row then has fewer cells than columns). Erased: blank cells.
  ``tab_zeros``/``pipe_zeros``: zeros printed blank first. Erased: blank and zero cells.
- ``rl_header_3rows``: table 4 rebuilt from its 15 values with a header over three rows
  (行政复议 | 行政诉讼; 未经复议直接起诉 / 复议后起诉; the result names), as HTML with an ``&nbsp;``
  cell under 行政复议, as HTML with 行政复议 spanning two rows, and as pipe rows. Blank values
  stay blank cells (``&nbsp;``). Erased: none.
- ``split_tables``: every table cut into two or three pieces (cut labels repeat below, as
  tools/synth_render.split_table cuts), a sentence between each section heading and its
  table, ``（续表）``, a page number or nothing between the pieces; HTML, pipe, DOCX and PDF.
  Erased: none.
- ``label_typos``: every table label with at least three editable characters (CJK, not a
  numeral: never a digit) gets, with probability 1/2, one edit: a character lost, doubled or
  mistyped (a look-alike or sound-alike from a fixed list, else another character of the
  document's labels); HTML and pipe. Erased: none.
- ``ocr_confusions``: numbering in labels read with ``l``/``丨``/``I`` for 1 and ``O`` for 0,
  full-width punctuation, full-width digits in some values and in the narrative, and ``O``/``l``
  inside some numbers (``1O``, ``l2``); HTML and pipe. Erased: none (a reader still sees the number).
- ``spans_as_cells``: pipe rows where every grid slot is a cell, as Excel/CSV exports and
  converters' Markdown write tables: slots a span covers are empty cells (``empty``) or repeat
  the spanning cell's text (``repeated``). Erased: none.

Output: one Markdown row per degradation and a total, one row per rendering kind, the silently
wrong cells (all of them with ``--detail``, which also prints one row per rendering).
"""

from __future__ import annotations

import argparse
import html as html_lib
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools.accuracy import EXPECTED_DIR, ROOT, _get, _key, _width, cells_of, documents_of
from tools.synth_render import LCell, LTable, render_docx, render_html, split_table

SEED = 20240612
RL_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
RL_WORDS = ("行政复议", "行政诉讼", "结果维持", "结果纠正", "尚未审结", "复议后起诉", "直接起诉")
SECTION_OF = {"proactive": 2, "applications": 3, "reviews_litigation": 4}
RENDER_SECONDS = 60  # one rendering's budget through the pipeline; past it the rendering counts as failed
NUMERALS = set("〇零一二三四五六七八九十百千万两")
# look-alike and sound-alike characters seen in published labels (危机 for 危及, 行政法 for 行政执法 …)
CONFUSABLE = {
    "及": "机", "政": "正", "公": "工", "开": "升", "申": "甲", "请": "清", "处": "外", "理": "里", "数": "书", "量": "最",
    "法": "去", "规": "观", "章": "竞", "件": "伴", "信": "言", "息": "自", "年": "午", "本": "木", "予": "矛", "部": "都",
    "分": "份", "结": "给", "果": "杲", "复": "夏", "议": "义", "诉": "拆", "讼": "松", "审": "宙", "维": "准", "持": "待",
    "纠": "叫", "制": "刹", "作": "昨", "项": "顶", "目": "日", "决": "快", "定": "宝", "务": "条", "事": "享", "费": "贵",
    "采": "釆", "购": "构", "额": "频", "效": "郊", "废": "度", "止": "正", "发": "友", "保": "堡", "护": "沪", "第": "弟",
    "权": "杈", "益": "盖", "内": "肉", "家": "冢", "秘": "泌", "密": "蜜", "危": "卮", "安": "按", "全": "金", "稳": "隐",
    "查": "杳", "询": "洵", "执": "扒", "卷": "券", "掌": "拿", "握": "幄", "相": "湘", "关": "美", "现": "观", "成": "戍",
    "另": "别", "行": "衍", "补": "朴", "正": "止", "容": "客", "仍": "扔", "明": "朋", "确": "硧", "访": "仿", "举": "拳",
    "报": "极", "投": "没", "类": "粪", "重": "熏", "出": "山", "版": "板", "物": "勿", "无": "元", "当": "挡", "由": "田",
    "大": "太", "反": "返", "获": "荻", "取": "耳", "计": "讨", "总": "急", "然": "燃", "人": "入", "企": "全", "业": "亚",
    "科": "料", "研": "妍", "机": "朾", "构": "沟", "社": "杜", "会": "全", "组": "姐", "织": "识", "律": "津", "服": "股",
    "其": "共", "他": "也", "转": "砖", "下": "卞", "度": "渡", "继": "断", "续": "读", "办": "力", "收": "牧", "新": "薪",
    "上": "土", "况": "兄", "情": "清", "许": "午", "可": "叮", "罚": "罸", "强": "弓", "施": "旋", "外": "处", "对": "寸",
    "管": "营", "在": "再", "有": "冇", "用": "甩", "性": "姓", "文": "丈", "范": "苑",
}
_LEAD_SENTENCES = ("具体情况如下表所示。", "本年度有关数据统计如下：", "详细数据见下表。")
_FULL_PUNCT = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"})
_NUMBERING = re.compile(r"^\s*(?:[(（]?[0-9]+[)）]?[.．、]?|[(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)")


# --- the model: narrative lines and tables, each table filed under its section --------------------
@dataclass
class TableBlock:
    kind: str | None  # proactive | applications | reviews_litigation | None (a table no label places)
    rows: list[list[LCell]]  # each row's origin cells in column order, gaps as empty cells


Block = tuple[str, object]  # ("title" | "h" | "p", str) or ("table", TableBlock)


@dataclass
class Model:
    document: str  # repo-relative path
    source_format: str
    layout: str
    title: str | None
    blocks: list[Block]
    page_text: str | None = None  # HTML sources: the page's visible text nodes in order (one_line)


def _is_value_slot(text: str) -> bool:
    from common.values import is_value_slot

    return is_value_slot(text)


def _nfkc_simple(text: str) -> str:
    from common.text import to_simplified

    return to_simplified(unicodedata.normalize("NFKC", text))


def row_kind(texts: list[str]) -> tuple[str | None, bool]:
    """(table the row belongs to, whether it is a data row) from the row's cell texts."""
    from transforms.segment import match_row_label

    labels = [t for t in texts if t.strip() and not _is_value_slot(t)]
    values = [t for t in texts if _is_value_slot(t)]
    joined = "".join(labels)
    if joined and any(word in _nfkc_simple(joined) for word in RL_WORDS):
        return "reviews_litigation", False
    if joined:
        hit = match_row_label(joined)
        if hit:
            return hit[0], True
    if len(values) >= 15 and len(labels) <= 1 and any(v.strip() for v in values):
        return "reviews_litigation", True
    return None, False


def logical_rows(table, first: int = 0, stop: int | None = None) -> list[list[LCell]]:
    """Rows ``first``..``stop`` of an extracted ``Table`` as origin cells in column order.

    Spans are clipped to the piece; a gap in a row (a slot no cell covers, before a later cell)
    becomes an empty cell so that every later cell keeps its column.
    """
    grid = table.grid()
    stop = len(grid) if stop is None else stop
    rows: list[list[LCell]] = []
    for r in range(first, stop):
        slots = grid[r]
        origins = [c for c, s in enumerate(slots) if s is not None and s.col == c and (s.row == r or r == first)]
        out: list[LCell] = []
        for c in range(max(origins, default=-1) + 1):
            cell = slots[c]
            if cell is None:
                out.append(LCell(""))
            elif cell.col == c and (cell.row == r or r == first):
                start = max(cell.row, first)
                span = min(cell.row + cell.row_span, stop) - start
                # a cell covering the first row of the piece from above: its text belongs to the piece above
                text = cell.text if cell.row == r else ""
                out.append(LCell(text, span, cell.col_span))
        rows.append(out)
    return rows


def split_by_kind(table) -> list[TableBlock]:
    """A table cut where its rows change from one statistical table to another (text_space layouts
    read tables 2-4 as one grid); header rows go with the data rows below them."""
    rows = table.rows()
    kinds: list[str | None] = []
    data: list[bool] = []
    for row in rows:
        kind, is_data = row_kind([c.text for c in row])
        kinds.append(kind)
        data.append(is_data)
    filled = list(kinds)
    following = None
    for i in range(len(filled) - 1, -1, -1):
        if filled[i] is None:
            filled[i] = following
        else:
            following = filled[i]
    previous = None
    for i, kind in enumerate(filled):
        if kind is None:
            filled[i] = previous
        else:
            previous = kind
    runs: list[list] = []  # [kind, first row, stop row, has a data row]
    for i, kind in enumerate(filled):
        if runs and runs[-1][0] == kind:
            runs[-1][2] = i + 1
            runs[-1][3] = runs[-1][3] or data[i]
        else:
            runs.append([kind, i, i + 1, data[i]])
    merged: list[list] = []
    for run in runs:  # a run without a data row (a stray header) goes with its neighbour
        if merged and not run[3]:
            merged[-1][2] = run[2]
        elif merged and not merged[-1][3]:
            merged[-1] = [run[0], merged[-1][1], run[2], True]
        else:
            merged.append(list(run))
    if not merged:
        return [TableBlock(None, logical_rows(table))]
    return [TableBlock(kind, logical_rows(table, first, stop)) for kind, first, stop, _ in merged]


def narrative_lines(text: str) -> list[str]:
    """The narrative of ``Document.text``: without the table rows some layouts print into it
    (``| a | b |`` for HTML, tab-started cells for DOCX) and without empty lines."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or line.startswith("\t") or (stripped.startswith("|") and stripped.endswith("|")):
            continue
        lines.append(stripped)
    return lines


def place_tables(lines: list[str], tables: list[TableBlock]) -> list[Block]:
    """Narrative blocks with each table after the heading of its section (一 … 六)."""
    from common.sections import heading_section

    heading_at: dict[int, int] = {}
    for i, line in enumerate(lines):
        number = heading_section(line)
        if number is not None and number not in heading_at:
            heading_at[number] = i
    after: dict[int, list[TableBlock]] = {}
    section = None
    for table in tables:
        section = SECTION_OF.get(table.kind or "", section) or 2
        position = heading_at.get(section)
        if position is None:
            later = [i for number, i in heading_at.items() if number > section]
            position = (min(later) - 1) if later else len(lines) - 1
        after.setdefault(position, []).append(table)
    blocks: list[Block] = [("table", t) for t in after.get(-1, [])]
    for i, line in enumerate(lines):
        blocks.append(("h" if i in heading_at.values() else "p", line))
        blocks.extend(("table", t) for t in after.get(i, []))
    return blocks


def _with_title(blocks: list[Block], title: str) -> list[Block]:
    """The title as a ``title`` block: the first narrative lines that spell it, else a line added."""
    squeeze = title.replace(" ", "")
    joined = ""
    for k, (kind, value) in enumerate(blocks[:4], start=1):
        if kind != "p":
            break
        joined += str(value).replace(" ", "")
        if joined == squeeze:
            return [("title", title), *blocks[k:]]
        if not squeeze.startswith(joined):
            break
    return [("title", title), *blocks]


def page_text(data: bytes) -> str:
    """A page's visible text as a crawler's page.txt or an innerText copy joined up: the title, then
    every text node of the body (navigation, metadata and footer included) stripped, joined."""
    from selectolax.lexbor import LexborHTMLParser

    from common.encoding import decode_html

    text, _ = decode_html(data)
    tree = LexborHTMLParser(text)
    title = tree.css_first("title")
    pieces = [title.text(deep=True)] if title is not None else []
    for node in tree.css("script, style, noscript, template, head, select, textarea"):
        node.decompose()
    hidden = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
    for node in [n for n in tree.css("[style], [hidden]")
                 if "hidden" in n.attributes or hidden.search(n.attributes.get("style") or "")]:
        node.decompose()
    if tree.body is not None:
        pieces.extend(n.text_content or "" for n in tree.body.traverse(include_text=True) if n.tag == "-text")
    return "".join(" ".join(p.split()) for p in pieces)


def build_model(path: Path, root: Path = ROOT) -> Model:
    """Read one document with the project's extractors into the model every degradation renders."""
    from extractors.detect import extract_bytes

    data = path.read_bytes()
    source_format, doc = extract_bytes(data, path.name)
    lines = narrative_lines(doc.text)
    tables = [piece for table in doc.tables for piece in split_by_kind(table)]
    blocks = place_tables(lines, tables)
    title = " ".join(doc.title.split()) if doc.title else None
    if title:
        blocks = _with_title(blocks, title)
    resolved = path.resolve()
    document = resolved.relative_to(root.resolve()).as_posix() if resolved.is_relative_to(root.resolve()) else str(path)
    return Model(document=document, source_format=source_format, layout=doc.layout, title=title, blocks=blocks,
                 page_text=page_text(data) if source_format == "html" else None)


# --- renderers -------------------------------------------------------------------------------------
def _synth_blocks(blocks: list[Block], escape: bool = False) -> list[tuple[str, object]]:
    """The model's blocks in tools/synth_render's form (tables as rows of LCell)."""
    out: list[tuple[str, object]] = []
    esc = html_lib.escape if escape else (lambda s: s)
    for kind, value in blocks:
        if kind == "table":
            rows = value.rows  # type: ignore[union-attr]
            out.append(("table", LTable([LCell(esc(c.text), c.rs, c.cs) for c in row] for row in rows)))
        elif kind == "sep":
            if value and escape:
                out.append(("p", esc(str(value))))
            elif not escape:
                out.append(("p", str(value)))
        else:
            out.append((kind, esc(str(value))))
    return out


def to_html(blocks: list[Block]) -> bytes:
    """A CMS page (tools/synth_render.render_html): paragraphs and span-aware tables."""
    return render_html(_synth_blocks(blocks, escape=True)).encode("utf-8")


def to_docx(blocks: list[Block]) -> bytes:
    """A DOCX with merged cells (tools/synth_render.render_docx)."""
    return render_docx(_synth_blocks(blocks, escape=True))


def to_pdf(blocks: list[Block]) -> bytes:
    """A text-layer PDF with ruled tables (tools/synth_pdf.render_pdf); a table continues on the next page."""
    from tools.synth_pdf import render_pdf

    return render_pdf(_synth_blocks(blocks))


def to_pipe(blocks: list[Block]) -> bytes:
    """Pipe rows as web copies write them (seed 001): ``label | v | v |``, one bare ``|`` per spanned slot."""
    return _text_lines(blocks, trailing_pipe_lines).encode("utf-8")


def _owners(rows: list[list[LCell]]) -> dict[tuple[int, int], tuple[int, int, LCell]]:
    """(row, col) slot → (origin row, origin col, cell) for the slots the cells cover."""
    owner: dict[tuple[int, int], tuple[int, int, LCell]] = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in owner:
                c += 1
            for rr in range(r, r + cell.rs):
                for cc in range(c, c + cell.cs):
                    owner[(rr, cc)] = (r, c, cell)
            c += cell.cs
    return owner


def trailing_pipe_lines(rows: list[list[LCell]]) -> list[str]:
    """``label | v | v |`` and one bare ``|`` per slot a span covers (tools/synth_render.render_text_pipe's
    form; a short row of a text layout stays short: slots no cell covers are not written)."""
    owner = _owners(rows)
    lines = []
    for r, row in enumerate(rows):
        spanned = sum(1 for (rr, _c) in owner if rr == r) - len(row)
        line = " | ".join(" ".join(c.text.split()) for c in row) + " |"
        lines.append(line + (" " + "|" * spanned if spanned > 0 else ""))
    return lines


def positional_pipe_lines(rows: list[list[LCell]], repeat: bool = False) -> list[str]:
    """Markdown-style pipe rows as converters write them: every slot a cell, spanned slots empty
    (``repeat``: holding the spanning cell's text); a short row stays short."""
    owner = _owners(rows)
    lines = []
    for r in range(len(rows)):
        last = max((c for (rr, c) in owner if rr == r), default=-1)
        texts = []
        for c in range(last + 1):
            hit = owner.get((r, c))
            texts.append(" ".join(hit[2].text.split()) if hit and (repeat or hit[:2] == (r, c)) else "")
        lines.append("| " + " | ".join(texts) + " |")
    return lines


def _text_lines(blocks: list[Block], table_lines: Callable[[list[list[LCell]]], list[str]]) -> str:
    out: list[str] = []
    for kind, value in blocks:
        if kind == "table":
            out.extend(table_lines(value.rows))  # type: ignore[union-attr]
        else:
            out.append(str(value))
    return "\n".join(out) + "\n"


def _filled(row: list[LCell]) -> list[str]:
    return [" ".join(c.text.split()) for c in row if c.text.strip()]


def single_space_lines(rows: list[list[LCell]]) -> list[str]:
    return [" ".join(cells) for cells in map(_filled, rows) if cells]


def dropped_tab_lines(rows: list[list[LCell]]) -> list[str]:
    out = [""]
    for cells in map(_filled, rows):
        if cells:
            out.extend("\t" + text for text in cells)
            out.append("")
    return out


def dropped_pipe_lines(rows: list[list[LCell]]) -> list[str]:
    return ["| " + " | ".join(cells) + " |" for cells in map(_filled, rows) if cells]


def one_line_text(blocks: list[Block]) -> str:
    pieces: list[str] = []
    for kind, value in blocks:
        if kind == "table":
            pieces.extend(text for row in value.rows for text in _filled(row))  # type: ignore[union-attr]
        else:
            pieces.append(" ".join(str(value).split()))
    return "".join(pieces)


# --- degradations ----------------------------------------------------------------------------------
@dataclass
class Rendering:
    degradation: str
    variant: str
    suffix: str  # file suffix for format sniffing: .html .txt .md
    data: bytes
    erases: str = "nothing"  # what the rendering removed of what the source printed: see ERASES
    notes: list[str] = field(default_factory=list)


def _tables(blocks: list[Block]):
    return [value for kind, value in blocks if kind == "table"]


def _labels(blocks: list[Block]) -> list[str]:
    return [c.text for t in _tables(blocks) for row in t.rows for c in row
            if c.text.strip() and not _is_value_slot(c.text)]


def _map_cells(blocks: list[Block], fn: Callable[[str, bool], str]) -> list[Block]:
    """The blocks with every table cell's text replaced by ``fn(text, is_label)``."""
    out: list[Block] = []
    for kind, value in blocks:
        if kind == "table":
            rows = [[LCell(fn(c.text, bool(c.text.strip()) and not _is_value_slot(c.text)), c.rs, c.cs) for c in row]
                    for row in value.rows]  # type: ignore[union-attr]
            out.append(("table", TableBlock(value.kind, rows)))  # type: ignore[union-attr]
        else:
            out.append((kind, value))
    return out


def _html_and_pipe(name: str, blocks: list[Block]) -> list[Rendering]:
    return [Rendering(name, "html", ".html", to_html(blocks)), Rendering(name, "pipe", ".md", to_pipe(blocks))]


def rerender(model: Model, rng: random.Random) -> list[Rendering]:
    """The control: the model as HTML, pipe text, DOCX and PDF, nothing degraded."""
    return [*_html_and_pipe("rerender", model.blocks),
            Rendering("rerender", "docx", ".docx", to_docx(model.blocks)),
            Rendering("rerender", "pdf", ".pdf", to_pdf(model.blocks))]


def one_line(model: Model, rng: random.Random) -> list[Rendering]:
    """A page-text dump: everything on one line, no separator between cells or rows."""
    text = model.page_text if model.page_text is not None else one_line_text(model.blocks)
    return [Rendering("one_line", "page_text" if model.page_text is not None else "model", ".txt",
                      text.encode("utf-8"), erases="blanks")]


def zeros_blank(blocks: list[Block]) -> list[Block]:
    """Every table cell that reads as zero printed as a blank cell (many reports leave zeros empty)."""
    from common.values import parse_value

    def blank_zero(text: str, is_label: bool) -> str:
        parsed = parse_value(text) if not is_label and text.strip() else None
        return "" if parsed is not None and parsed.status == "reported" and parsed.value == 0 else text

    return _map_cells(blocks, blank_zero)


def single_space(model: Model, rng: random.Random) -> list[Rendering]:
    """Table cells separated by single spaces, one row per line; the narrative unchanged. ``txt_zeros``:
    the same after every zero was printed as a blank cell."""
    return [Rendering("single_space", "txt", ".txt", _text_lines(model.blocks, single_space_lines).encode("utf-8"),
                      erases="blanks"),
            Rendering("single_space", "txt_zeros", ".txt",
                      _text_lines(zeros_blank(model.blocks), single_space_lines).encode("utf-8"),
                      erases="blanks_and_zeros")]


def dropped_blanks(model: Model, rng: random.Random) -> list[Rendering]:
    """Tab rows and pipe rows whose blank cells are dropped; ``*_zeros``: the same after every zero was
    printed as a blank cell, so that rows of mostly zeros keep two or three of their seven cells."""
    zeros = zeros_blank(model.blocks)
    return [Rendering("dropped_blanks", "tab", ".txt", _text_lines(model.blocks, dropped_tab_lines).encode("utf-8"),
                      erases="blanks"),
            Rendering("dropped_blanks", "pipe", ".md", _text_lines(model.blocks, dropped_pipe_lines).encode("utf-8"),
                      erases="blanks"),
            Rendering("dropped_blanks", "tab_zeros", ".txt", _text_lines(zeros, dropped_tab_lines).encode("utf-8"),
                      erases="blanks_and_zeros"),
            Rendering("dropped_blanks", "pipe_zeros", ".md", _text_lines(zeros, dropped_pipe_lines).encode("utf-8"),
                      erases="blanks_and_zeros")]


def rl_values(table: TableBlock) -> list[str] | None:
    """Table 4's 15 printed values (blank ones as ''), or None when no row holds them."""
    for row in table.rows:
        texts = [c.text for c in row]
        values = [t for t in texts if _is_value_slot(t)]
        labels = [t for t in texts if t.strip() and not _is_value_slot(t)]
        if len(values) >= 15 and len(labels) <= 1 and any(v.strip() for v in values):
            return values[-15:]
    values = [c.text for row in table.rows for c in row if c.text.strip() and _is_value_slot(c.text)]
    return values if len(values) == 15 else None


def rl_three_row_table(values: list[str], filler: bool) -> TableBlock:
    """Table 4 with its header over three rows; ``filler``: an &nbsp; cell under 行政复议 (else 行政复议
    spans the first two rows)."""
    if filler:
        head = [[LCell("行政复议", 1, 5), LCell("行政诉讼", 1, 10)],
                [LCell("", 1, 5), LCell("未经复议直接起诉", 1, 5), LCell("复议后起诉", 1, 5)]]
    else:
        head = [[LCell("行政复议", 2, 5), LCell("行政诉讼", 1, 10)],
                [LCell("未经复议直接起诉", 1, 5), LCell("复议后起诉", 1, 5)]]
    names = [LCell(name) for _ in range(3) for name in RL_RESULTS]
    return TableBlock("reviews_litigation", [*head, names, [LCell(v) for v in values]])


def rl_header_3rows(model: Model, rng: random.Random) -> list[Rendering]:
    """Table 4 rebuilt with a three-row header (HTML with an &nbsp; filler, HTML with a row span, pipe)."""
    found = [t for t in _tables(model.blocks) if t.kind == "reviews_litigation"]
    values = next((v for v in map(rl_values, found) if v is not None), None)
    notes = [] if values is not None else ["table 4's 15 values not found in the model: table 4 left as it was"]

    def rebuilt(filler: bool) -> list[Block]:
        if values is None:
            return list(model.blocks)
        out: list[Block] = []
        done = False
        for kind, value in model.blocks:
            if kind == "table" and value.kind == "reviews_litigation":  # type: ignore[union-attr]
                if not done:
                    out.append(("table", rl_three_row_table(values, filler)))
                    done = True
                continue
            out.append((kind, value))
        return out

    with_filler, with_span = rebuilt(True), rebuilt(False)
    return [Rendering("rl_header_3rows", "html_nbsp", ".html", to_html(with_filler), notes=notes),
            Rendering("rl_header_3rows", "html_rowspan", ".html", to_html(with_span), notes=notes),
            Rendering("rl_header_3rows", "pipe", ".md", _text_lines(with_filler, _rl_positional).encode("utf-8"),
                      notes=notes)]


def _rl_positional(rows: list[list[LCell]]) -> list[str]:
    """Table 4 (recognised by its header) as positional pipe rows, other tables as ``to_pipe`` writes them."""
    if rows and rows[0] and rows[0][0].text == "行政复议":
        return positional_pipe_lines(rows)
    return trailing_pipe_lines(rows)


def repeated_pipe_lines(rows: list[list[LCell]]) -> list[str]:
    """Pipe rows where a spanning cell's text is repeated in every slot it covers (docling-style exports)."""
    return positional_pipe_lines(rows, repeat=True)


def spans_as_cells(model: Model, rng: random.Random) -> list[Rendering]:
    """Every grid slot a cell: spanned slots as empty cells (Excel/CSV exports, converters' Markdown) or
    repeating the spanning cell's text."""
    return [Rendering("spans_as_cells", "empty", ".md", _text_lines(model.blocks, positional_pipe_lines).encode()),
            Rendering("spans_as_cells", "repeated", ".md", _text_lines(model.blocks, repeated_pipe_lines).encode())]


def split_blocks(blocks: list[Block], rng: random.Random) -> list[Block]:
    """Every table in two or three pieces; a sentence between its heading and the first piece."""
    out: list[Block] = []
    page = rng.randint(2, 5)
    for kind, value in blocks:
        if kind != "table":
            out.append((kind, value))
            continue
        rows = LTable(value.rows)  # type: ignore[union-attr]
        if out and out[-1][0] == "h":
            out.append(("p", rng.choice(_LEAD_SENTENCES)))
        n_pieces = min(rng.choice((2, 3)), len(rows))
        cuts = sorted(rng.sample(range(1, len(rows)), n_pieces - 1)) if n_pieces > 1 else []
        pieces: list[list[list[LCell]]] = []
        rest, offset = rows, 0
        for cut in cuts:
            top, rest = split_table(rest, cut - offset)
            pieces.append(top)
            offset = cut
        pieces.append(rest)
        for i, piece in enumerate(pieces):
            if i:
                between = rng.choice(("", "（续表）", "page"))
                if between == "page":
                    between = f"- {page} -"
                    page += 1
                out.append(("sep", between))
            out.append(("table", TableBlock(value.kind, [list(r) for r in piece])))  # type: ignore[union-attr]
    return out


def split_tables(model: Model, rng: random.Random) -> list[Rendering]:
    """Each table split into pieces, its heading standing apart (HTML, pipe, DOCX, PDF)."""
    blocks = split_blocks(model.blocks, rng)
    return [*_html_and_pipe("split_tables", blocks),
            Rendering("split_tables", "docx", ".docx", to_docx(blocks)),
            Rendering("split_tables", "pdf", ".pdf", to_pdf(blocks))]


def typo(label: str, rng: random.Random, alphabet: list[str]) -> str:
    """One character of ``label`` lost, doubled or mistyped (never a digit or a numeral); labels with
    fewer than three editable characters are left alone."""
    positions = [i for i, ch in enumerate(label) if "\u4e00" <= ch <= "\u9fff" and ch not in NUMERALS]
    if len(positions) < 3:
        return label
    i = rng.choice(positions)
    op = rng.choice(("lose", "double", "mistype"))
    if op == "lose":
        return label[:i] + label[i + 1:]
    if op == "double":
        return label[:i + 1] + label[i] + label[i + 1:]
    options = [ch for ch in alphabet if ch != label[i]]
    replacement = CONFUSABLE.get(label[i]) or (rng.choice(options) if options else label[i])
    return label[:i] + replacement + label[i + 1:]


def typo_blocks(blocks: list[Block], rng: random.Random) -> list[Block]:
    alphabet = sorted({ch for text in _labels(blocks) for ch in text
                       if "\u4e00" <= ch <= "\u9fff" and ch not in NUMERALS})
    return _map_cells(blocks, lambda text, is_label: typo(text, rng, alphabet)
                      if is_label and rng.random() < 0.5 else text)


def label_typos(model: Model, rng: random.Random) -> list[Rendering]:
    """Labels with a character lost, doubled or mistyped (HTML and pipe)."""
    return _html_and_pipe("label_typos", typo_blocks(model.blocks, rng))


def full_width(text: str) -> str:
    """ASCII digits, signs and punctuation as their full-width forms (letters stay)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" and not ch.isalpha() else ch for ch in text)


def ocr_label(text: str, rng: random.Random) -> str:
    """Numbering misread (1 → l/丨/I, 0 → O) and full-width punctuation."""
    match = _NUMBERING.match(text)
    if match and rng.random() < 0.7:
        prefix = match.group(0)
        prefix = prefix.replace("1", rng.choice(("l", "丨", "I"))).replace("0", "O").replace(".", "．")
        text = prefix + text[match.end():]
    if rng.random() < 0.5:
        text = text.translate(_FULL_PUNCT)
    return text


def ocr_value(text: str, rng: random.Random) -> str:
    """Some numbers misread (a 0 as O, a 1 as l), others in full-width digits."""
    draw = rng.random()
    spots = [i for i, ch in enumerate(text) if ch in "01"]
    if draw < 0.1 and spots:
        i = rng.choice(spots)
        return text[:i] + ("O" if text[i] == "0" else "l") + text[i + 1:]
    if draw < 0.4:
        return full_width(text)
    return text


def ocr_blocks(blocks: list[Block], rng: random.Random) -> list[Block]:
    mapped = _map_cells(blocks, lambda text, is_label: ocr_label(text, rng) if is_label
                        else (ocr_value(text, rng) if text.strip() else text))
    out: list[Block] = []
    for kind, value in mapped:
        if kind in ("p", "h", "title") and rng.random() < 0.3:
            value = full_width(str(value)) if kind == "p" else str(value).translate(_FULL_PUNCT)
        out.append((kind, value))
    return out


def ocr_confusions(model: Model, rng: random.Random) -> list[Rendering]:
    """OCR confusions in labels, numbers and narrative (HTML and pipe)."""
    return _html_and_pipe("ocr_confusions", ocr_blocks(model.blocks, rng))


DEGRADATIONS: dict[str, Callable[[Model, random.Random], list[Rendering]]] = {
    "rerender": rerender,
    "one_line": one_line,
    "single_space": single_space,
    "dropped_blanks": dropped_blanks,
    "rl_header_3rows": rl_header_3rows,
    "split_tables": split_tables,
    "label_typos": label_typos,
    "ocr_confusions": ocr_confusions,
    "spans_as_cells": spans_as_cells,
}


def degrade(model: Model, name: str, seed: int = SEED) -> list[Rendering]:
    """The renderings of one degradation of one document (deterministic for a seed)."""
    return DEGRADATIONS[name](model, random.Random(f"{seed}:{name}:{model.document}"))


# --- scoring ---------------------------------------------------------------------------------------
CATEGORIES = ("exact", "inferred", "flagged", "erased", "silent")


@dataclass
class Outcome:
    """One rendering through the pipeline, scored."""

    document: str
    expected_file: str
    degradation: str
    variant: str
    file_name: str
    status: str
    layout: str | None
    counts: dict[str, int]
    extra: int = 0
    silent_cells: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def cells(self) -> int:
        return sum(self.counts.values())


def classify(want: dict, fact, report_status: str, erased: bool) -> str:
    """The category of one expected cell (see the module docstring)."""
    value = _get(fact, "value") if fact is not None else None
    status = _get(fact, "value_status") if fact is not None else "absent"
    unit_ok = not want.get("unit") or (fact is not None and _get(fact, "unit") == want["unit"])
    if value == want["value"] and status == want["status"] and unit_ok:
        return "exact"
    if status == "inferred" and value is not None and value == want["value"] and unit_ok:
        return "inferred"
    loaded = report_status == "loaded"
    numeric = status in ("reported", "inferred") and value is not None
    if erased and not (loaded and numeric):
        return "erased"
    if not loaded or status in ("missing", "text"):
        return "flagged"
    if value == want["value"] and want.get("unit") and _get(fact, "unit") is None \
            and _get(fact, "amount_yuan") is None:
        return "flagged"  # an amount whose unit was not found: kept, not converted, said in its note
    return "silent"


ERASES: dict[str, Callable[[dict], bool]] = {  # expected cell -> whether the rendering erased its printed value
    "nothing": lambda want: False,
    "blanks": lambda want: want["status"] == "blank",
    "blanks_and_zeros": lambda want: want["status"] == "blank" or want["value"] == 0,
}


def score(records, expected: dict, erases: str = "nothing") -> tuple[dict[str, int], int, list[str]]:
    """(counts per category, extra numbers, descriptions of silently wrong cells and extra numbers)."""
    report_status = records.report["status"]
    got = {_key(f): f for f in records.facts}
    counts = dict.fromkeys(CATEGORIES, 0)
    problems: list[str] = []
    for key, want in expected.items():
        fact = got.get(key)
        category = classify(want, fact, report_status, ERASES[erases](want))
        counts[category] += 1
        if category == "silent":
            if fact is None:
                problems.append(f"{'/'.join(key)}: absent, want {want['value']!r} ({want['status']})")
            else:
                unit = f" {_get(fact, 'unit')}" if want.get("unit") else ""
                problems.append(f"{'/'.join(key)}: read {_get(fact, 'value')!r}{unit} ({_get(fact, 'value_status')}, "
                                f"raw {_get(fact, 'raw_text')!r}), want {want['value']!r}"
                                f"{' ' + want['unit'] if want.get('unit') else ''} ({want['status']})")
    extra = 0
    if report_status == "loaded":
        for key, fact in got.items():
            if key not in expected and _get(fact, "value") is not None \
                    and _get(fact, "value_status") in ("reported", "inferred"):
                extra += 1
                problems.append(f"{'/'.join(key)}: extra number {_get(fact, 'value')!r} "
                                f"({_get(fact, 'value_status')}, raw {_get(fact, 'raw_text')!r})")
    return counts, extra, problems


def run_rendering(rendering: Rendering, model: Model, expected: dict, expected_file: str,
                  out_dir: Path) -> Outcome:
    """Write one rendering, run it through process_bytes, score it."""
    from xxgk.process import FileTimeout, failed_item, process_bytes, time_limit
    from xxgk.records import SourceItem

    stem = model.document.replace("/", "__").rsplit(".", 1)[0]
    name = f"{stem}.{rendering.degradation}.{rendering.variant}{rendering.suffix}"
    path = out_dir / name
    path.write_bytes(rendering.data)
    item = SourceItem(source_uri=f"degrade://{rendering.degradation}/{rendering.variant}/{model.document}",
                      path=str(path), name=name)
    started = time.monotonic()
    try:
        with time_limit(RENDER_SECONDS):
            records = process_bytes(rendering.data, item)
    except FileTimeout:
        records = failed_item(item, "extract", "timeout", f"over {RENDER_SECONDS} s", rendering.data)
    seconds = time.monotonic() - started
    counts, extra, problems = score(records, expected, rendering.erases)
    report = records.report
    notes = list(rendering.notes)
    if report["status"] != "loaded" and report.get("status_reason"):
        notes.append(f"{report['status']}: {report['status_reason']}")
    return Outcome(document=model.document, expected_file=expected_file, degradation=rendering.degradation,
                   variant=rendering.variant, file_name=name, status=report["status"], layout=report.get("layout"),
                   counts=counts, extra=extra, silent_cells=problems, notes=notes, seconds=seconds)


def documents(expected_dir: Path = EXPECTED_DIR, root: Path = ROOT) -> list[tuple[Path, str, dict]]:
    """(path, expected file name, expected cells) for every document of every expected file."""
    out = []
    for spec_path in sorted(expected_dir.glob("*.yaml")):
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        for document, pending in documents_of(spec, spec_path.name):
            if pending:  # not read exactly yet (tools/accuracy.py lists it apart): no sound source to degrade
                continue
            path = root / document
            if not path.is_file():
                raise FileNotFoundError(f"{spec_path.name}: document {document} does not exist")
            out.append((path, spec_path.name, cells_of(spec)))
    return out


def run_harness(selected: list[tuple[Path, str, dict]], names: list[str], out_dir: Path,
                seed: int = SEED, root: Path = ROOT) -> list[Outcome]:
    """Every degradation of every selected document through the pipeline."""
    outcomes: list[Outcome] = []
    for path, expected_file, expected in selected:
        model = build_model(path, root)
        if not any(kind == "table" for kind, _ in model.blocks):
            continue  # a source whose tables are not cells (a page-text dump): it is a degradation already
        for name in names:
            for rendering in degrade(model, name, seed):
                outcomes.append(run_rendering(rendering, model, expected, expected_file, out_dir))
    return outcomes


# --- output ----------------------------------------------------------------------------------------
def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], numeric: set[int]) -> str:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        padded = [(" " * (w - _width(c)) + c) if i in numeric else (c + " " * (w - _width(c)))
                  for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2))
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _summary_row(label: str, group: list[Outcome], first: str) -> tuple[str, ...]:
    counts = {c: sum(o.counts[c] for o in group) for c in CATEGORIES}
    cells = sum(counts.values())
    readable = cells - counts["erased"]
    share = 100 * (counts["exact"] + counts["inferred"]) / readable if readable else 100.0
    return (label, first, str(len({o.document for o in group})), str(cells), str(counts["exact"]),
            str(counts["inferred"]), str(counts["flagged"]), str(counts["erased"]), str(counts["silent"]),
            str(sum(o.extra for o in group)), f"{share:.2f}%")


SUMMARY_HEADER = ("degradation", "renderings", "documents", "cells", "exact", "inferred", "flagged", "erased",
                  "silent", "extra", "exact+inferred")


def summary_table(outcomes: list[Outcome], by_variant: bool = False) -> str:
    """One row per degradation (or per degradation and rendering kind) and a total."""
    keys: list[tuple[str, ...]] = []
    for o in outcomes:
        key = (o.degradation, o.variant) if by_variant else (o.degradation,)
        if key not in keys:
            keys.append(key)
    order = list(DEGRADATIONS)
    keys.sort(key=lambda k: order.index(k[0]) if k[0] in order else len(order))  # stable: variants keep their order
    rows = []
    for key in keys:
        group = [o for o in outcomes if ((o.degradation, o.variant) if by_variant else (o.degradation,)) == key]
        rows.append(_summary_row("/".join(key), group, str(len(group))))
    rows.append(_summary_row("total", outcomes, str(len(outcomes))))
    header = ("degradation/rendering", *SUMMARY_HEADER[1:]) if by_variant else SUMMARY_HEADER
    return _table(header, rows, numeric=set(range(1, len(SUMMARY_HEADER))))


def detail_table(outcomes: list[Outcome]) -> str:
    header = ("document", "degradation", "rendering", "layout", "status", "cells", "exact", "inferred", "flagged",
              "erased", "silent", "extra")
    rows = [(o.document, o.degradation, o.variant, o.layout or "-", o.status, str(o.cells),
             *(str(o.counts[c]) for c in CATEGORIES), str(o.extra)) for o in outcomes]
    return _table(header, rows, numeric=set(range(5, len(header))))


def main(argv: list[str] | None = None) -> int:
    return run(argv)[0]


def run(argv: list[str] | None = None) -> tuple[int, list[Outcome]]:
    """What ``main`` does, also returning the outcomes."""
    parser = argparse.ArgumentParser(prog="python -m tools.degrade", description=__doc__.splitlines()[0])
    parser.add_argument("--detail", action="store_true", help="one row per rendering and every silently wrong cell")
    parser.add_argument("--out", type=Path, help="keep the degraded files in this folder (default: a temp dir)")
    parser.add_argument("--fail-on-silent", action="store_true",
                        help="exit 1 when any cell is silently wrong or any extra number appears")
    parser.add_argument("--degradation", action="append", choices=list(DEGRADATIONS),
                        help="run only this degradation (repeatable)")
    parser.add_argument("--document", action="append", help="only documents whose path contains this (repeatable)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--expected-dir", type=Path, default=EXPECTED_DIR, help="folder of expected *.yaml files")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder the documents' paths are relative to")
    args = parser.parse_args(argv)
    names = args.degradation or list(DEGRADATIONS)
    selected = [d for d in documents(args.expected_dir, args.root)
                if not args.document or any(part in d[0].as_posix() for part in args.document)]
    started = time.monotonic()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        outcomes = run_harness(selected, names, args.out, args.seed, args.root)
    else:
        with tempfile.TemporaryDirectory(prefix="xxgk-degrade-") as tmp:
            outcomes = run_harness(selected, names, Path(tmp), args.seed, args.root)
    elapsed = time.monotonic() - started
    print(summary_table(outcomes))
    print()
    print(summary_table(outcomes, by_variant=True))
    print(f"\n{len(outcomes)} renderings of {len(selected)} documents in {elapsed:.1f} s"
          f"{f'; files kept in {args.out}' if args.out else ''}. Erased: blank cells in one_line, "
          "single_space/txt, dropped_blanks/tab|pipe; blank and zero cells in the *_zeros renderings; "
          "nothing elsewhere. exact+inferred is of the cells not erased.")
    if args.detail:
        print()
        print(detail_table(outcomes))
    wrong = [o for o in outcomes if o.silent_cells]
    if wrong:
        print(f"\nsilently wrong cells and extra numbers ({sum(len(o.silent_cells) for o in wrong)}), "
              f"by rendering{'' if args.detail else ' (first 5 per rendering; --detail: all)'}:")
        for o in sorted(wrong, key=lambda o: -len(o.silent_cells)):
            print(f"\n{o.document} · {o.degradation}/{o.variant} ({o.file_name}, layout {o.layout}, "
                  f"status {o.status}): {o.counts['silent']} silent, {o.extra} extra")
            for problem in o.silent_cells[: None if args.detail else 5]:
                print(f"  {problem}")
    if args.detail:
        noted = [o for o in outcomes if o.notes]
        if noted:
            print("\nnotes:")
            for o in noted:
                for note in o.notes:
                    print(f"  {o.document} · {o.degradation}/{o.variant}: {note}")
    failing = sum(o.counts["silent"] + o.extra for o in outcomes)
    return (1 if failing and args.fail_on_silent else 0), outcomes


if __name__ == "__main__":
    sys.exit(main())
