"""Extract a report from an HTML page: the body text, the tables as span-aware cell grids.

Pipeline: size/binary checks -> ``decode_html`` -> lexbor parse -> drop scripts, styles,
hidden elements and page chrome -> find the report container -> walk it into text lines and
tables -> merge tables split at page breaks -> ``Document(layout="html")``.

Decisions worth knowing:

* Input over ``MAX_BYTES`` raises ``ExtractionError("too_large")``; a table whose spans cover
  more than ``MAX_GRID_SLOTS`` slots raises ``ExtractionError("too_complex")``; empty input raises
  ``ExtractionError("empty_file")``; binary data (PDF/ZIP/OLE/image magic, NUL bytes, control
  characters) raises ``ExtractionError("binary_garbage")`` and text without a single HTML tag or
  body ``ExtractionError("unsupported_format")`` (codes: common/errors.py).
* The container is found by descending from ``<body>`` while one child element holds at least
  75 % of the visible non-link text; the descent stops at data tables. If the container holds
  no data table while the page has some, it widens to the common ancestor.
* Chrome the container still holds (templates that put the report's parts next to it) is skipped
  while walking it: link lists (相关文章, menus, share/print buttons), footers (版权所有 + ICP备 ...)
  and breadcrumbs (当前位置：...), never a block holding a data table (see ``LINK_LIST_MIN_LINKS``).
* Tables are formed with the HTML "forming a table" algorithm (occupancy matrix, rows walked
  as table > thead/tbody/tfoot > tr, never rows of nested tables). Odd spans are clamped:
  unparsable -> 1, colspan 0 -> 1, rowspan 0 or past the row group -> end of the row group,
  colspans reaching past the width the other cells define are trimmed to it.
* A table that contains another table, has a cell with more than 400 characters of text, or
  has a single column is a layout table: its cells are read as blocks and only the inner
  tables become ``Table`` objects.
* Rows with no text at all (Word's width-setting rows) are dropped.
* Consecutive tables (no text between them) are merged into one ``Table`` when the later one's
  first row continues the earlier one's column structure; repeated header rows are dropped.
* Cell text: text joined across inline elements and blocks (``<p>``, ``<br>``, ``<div>``);
  blocks are joined without a space when either side is a CJK (wide) character, and a source
  line break between two wide characters disappears, so ``本年新<br>制作数量`` gives
  ``本年新制作数量``; other whitespace runs (``&nbsp;``, U+3000 included) become one space.
* ``Document.text``: one line per block; each table row is a line ``| a | b | c |`` (origin
  cells only), so table labels such as ``三、本年度办理结果`` never start a line.
* Locators: cells ``t{table} r{row} c{col}`` (1-based; the table number counts every
  ``<table>`` of the page in document order, row/column are positions in that source table);
  tables ``table {n}`` or ``table {n}+{m}`` when merged.
* ``Document.meta``: every ``<meta name|property=... content=...>`` with content, plus
  ``html_title`` (the ``<title>`` text) and ``charset`` (the codec used to decode).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from selectolax.lexbor import LexborHTMLParser, LexborNode

from common.document import Cell, Document, Table, is_wide, join_wrapped
from common.encoding import decode_html
from common.errors import ExtractionError, too_large

MAX_BYTES = 50 * 1024 * 1024
MAX_COLSPAN = 1000  # as HTML does; rowspans end at their row group
MAX_GRID_SLOTS = 2_000_000  # rowspan x colspan slots per table before ExtractionError("too_complex")
MAX_TABLES = 1000  # <table> elements per page (layout tables included) before ExtractionError("too_complex")
MAX_DESCENT = 100  # container search depth (real pages nest the article 5-30 elements deep)
SANE_COLSPAN = 64  # spans above this do not define the table width
DOMINANT_SHARE = 0.75
PROSE_CELL_CHARS = 400  # a cell holding more text than this is page layout, not a report table cell

_JUNK = "script, style, noscript, template, iframe, object, embed, svg, select, textarea, button, xml, head"
_CHROME = ("nav", "header", "footer", "aside")
_BLOCKS = frozenset(
    "address article aside blockquote br caption center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend li main menu nav ol "
    "option p pre section summary table tbody td tfoot th thead title tr ul".split()
)
# lexbor pre-filters in C (Word pages put a style on every span); _HIDDEN_STYLE decides
_MAYBE_HIDDEN = '[style*="display" i], [style*="mso-hide" i], [style*="visibility" i], [hidden]'
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden", re.I)
_WS_RUN = re.compile(r"\s+")
_SEGMENT_BREAK_ONLY = re.compile(r"[ \t]*[\r\n][ \t\r\n]*")
_SPAN_NUMBER = re.compile(r"\s*(\d+)")
_VALUE_LIKE = re.compile(
    r"^[\s+\-－—–−增减]*[0-9０-９][0-9０-９,，.．]*\s*(万元|元|项|件|个|条|（[增减]）|\([增减]\))?\s*$"
    r"|^\s*[-－—–/／无]\s*$"
)
_NUMBERED_LABEL = re.compile(
    r"^\s*([0-9０-９]+\s*[.．、]|[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)"
)
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!")
_HTML_TAG = re.compile(
    r"<\s*(html|head|body|div|p|table|tr|td|span|br|meta|title|h[1-6]|a|font|center|section|article)\b",
    re.I,
)
_DATA_URI = re.compile(rb"data:[a-z0-9.+/-]*;base64,[a-z0-9+/=\s]+", re.I)
_OPENING = re.compile(r"<\s*(?:body|html)\b", re.I)
_CLOSING = re.compile(r"</\s*(?:body|html)\s*>", re.I)
_TITLE_SPLIT = re.compile(r"\s*(?:_|－|—|\||(?<!\d)-(?!\d))\s*")
# Page chrome left inside the container when a template puts the report's parts next to it (flat
# templates, narrative split over sibling divs). Link lists (相关文章/相关链接, menus, share and print
# buttons): a block with LINK_LIST_MIN_LINKS links whose link text is LINK_LIST_SHARE of its text.
# Footers: a block of at most CHROME_BLOCK_CHARS characters naming one of _FOOTER_STRONG and another
# marker (a report may name one of them, "网站地图" say, in its narrative; not two in a short block).
# Breadcrumbs: a short block starting with one of _BREADCRUMB.
LINK_LIST_MIN_LINKS = 3
LINK_LIST_SHARE = 0.5
CHROME_BLOCK_CHARS = 400
_FOOTER_STRONG = ("版权所有", "ICP备", "ICP证", "网站标识码", "公网安备", "Copyright", "copyright")
_FOOTER_MARKERS = (*_FOOTER_STRONG, "主办单位", "承办单位", "技术支持", "网站地图", "联系我们", "主办：", "承办：")
_BREADCRUMB = re.compile(r"^\s*(?:您?(?:当前|现在|所在)?的?(?:当前)?位置\s*[：:]|当前位置)")


@dataclass(slots=True)
class _TableItem:
    table: Table
    numbers: list[int]  # source table numbers (1-based) that make this table


# ---------------------------------------------------------------- text helpers


def _normalize_inline(raw: str) -> str:
    """Collapse whitespace runs to one space; drop line breaks between two wide characters."""

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        start, end = m.start(), m.end()
        if (
            _SEGMENT_BREAK_ONLY.fullmatch(run)
            and start > 0
            and end < len(raw)
            and is_wide(raw[start - 1])
            and is_wide(raw[end])
        ):
            return ""
        return " "

    return _WS_RUN.sub(repl, raw).strip()


def _is_hidden(node: LexborNode) -> bool:
    attrs = node.attributes
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _children(node: LexborNode) -> list[LexborNode]:
    return list(node.iter(include_text=True))


def _collect_blocks(root: LexborNode) -> list[str]:
    """Text of ``root`` as normalized block fragments (used for table cells)."""
    fragments: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = _normalize_inline("".join(buf))
        buf.clear()
        if text:
            fragments.append(text)

    stack: list[tuple[LexborNode, bool]] = [(c, False) for c in reversed(_children(root))]
    while stack:
        node, done = stack.pop()
        tag = node.tag
        if done:
            if tag in _BLOCKS:
                flush()
            continue
        if tag == "-text":
            buf.append(node.text_content or "")
            continue
        if tag.startswith("-") or tag.startswith("_"):
            continue
        if tag in _BLOCKS:
            flush()
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_children(node)))
    flush()
    return fragments


def _cell_text(node: LexborNode) -> str:
    """Text of a cell. Most cells hold at most one block (``<td><p><span>12</span></p></td>``): their
    text is the whole text, normalised, which is what the block walk gives at a tenth of the cost."""
    inner: LexborNode | None = None
    for i, descendant in enumerate(node.traverse(include_text=True)):
        tag = descendant.tag
        if i == 0 or tag == "-text":  # the node itself comes first
            continue
        if tag[0] in "-_" or (tag in _BLOCKS and inner is not None):  # a comment, or a second block
            return join_wrapped(_collect_blocks(node))
        if tag in _BLOCKS:
            inner = descendant
    whole = _normalize_inline(node.text(deep=True) or "")
    if inner is None or whole == _normalize_inline(inner.text(deep=True) or ""):
        return whole  # no block inside, or one block holding all the text
    return join_wrapped(_collect_blocks(node))


def _visible_len(node: LexborNode) -> int:
    """Length of the node's text without whitespace and without link text."""
    total = len(_WS_RUN.sub("", node.text(deep=True) or ""))
    links = sum(len(_WS_RUN.sub("", a.text(deep=True) or "")) for a in node.css("a"))
    return max(total - links, 0)


# ---------------------------------------------------------------- table forming


def _parse_span(value: str | None, default: int = 1) -> int:
    if value is None:
        return default
    m = _SPAN_NUMBER.match(value)
    return int(m.group(1)) if m else default


def _row_groups(table: LexborNode) -> list[list[LexborNode]]:
    """Rows of this table only, grouped by row group; tfoot groups go last (HTML order)."""
    groups: list[list[LexborNode]] = []
    feet: list[list[LexborNode]] = []
    loose: list[LexborNode] = []
    for child in table.iter():
        if child.tag == "tr":
            loose.append(child)
            continue
        if loose:
            groups.append(loose)
            loose = []
        if child.tag in ("thead", "tbody", "tfoot"):
            rows = [r for r in child.iter() if r.tag == "tr"]
            if rows:
                (feet if child.tag == "tfoot" else groups).append(rows)
    if loose:
        groups.append(loose)
    return groups + feet


def _row_cells(tr: LexborNode) -> list[LexborNode]:
    """The row's cells (hidden ones were removed from the tree before tables are read)."""
    return [c for c in tr.iter() if c.tag in ("td", "th")]


def _form_table(table: LexborNode, number: int, warnings: list[str]) -> Table:
    """Build origin cells with the HTML forming algorithm; clamp odd spans."""
    cells: list[Cell] = []
    occupied: set[tuple[int, int]] = set()
    budget = MAX_GRID_SLOTS
    row = 0
    for group in _row_groups(table):
        group_end = row + len(group)
        for tr in group:
            col = 0
            for td in _row_cells(tr):
                while (row, col) in occupied:
                    col += 1
                col_span = min(max(_parse_span(td.attributes.get("colspan")), 1), MAX_COLSPAN)
                row_span = _parse_span(td.attributes.get("rowspan"))
                if row_span <= 0 or row + row_span > group_end:
                    if row_span > 0:
                        warnings.append(f"t{number} r{row + 1} c{col + 1}: rowspan {row_span} clamped")
                    row_span = group_end - row
                budget -= (row_span - 1) * col_span
                if budget < 0:
                    raise ExtractionError("too_complex", f"table {number} spans more than {MAX_GRID_SLOTS} slots")
                for r in range(row + 1, row + row_span):  # the current row needs no marks
                    for c in range(col, col + col_span):
                        occupied.add((r, c))
                cells.append(
                    Cell(row, col, _cell_text(td), row_span, col_span, f"t{number} r{row + 1} c{col + 1}")
                )
                col += col_span
            row += 1
    _trim_wide_spans(cells, number, warnings)
    table_obj = Table(cells=cells, locator=f"table {number}")
    _drop_empty_rows(table_obj)
    return table_obj


def _trim_wide_spans(cells: list[Cell], number: int, warnings: list[str]) -> None:
    """Trim colspans that reach past the width every other cell defines."""
    width = max(
        [c.col + c.col_span for c in cells if c.col_span <= SANE_COLSPAN] + [c.col + 1 for c in cells],
        default=0,
    )
    for cell in cells:
        if cell.col + cell.col_span > width:
            warnings.append(f"{cell.locator}: colspan {cell.col_span} trimmed")
            cell.col_span = width - cell.col


def _drop_empty_rows(table: Table) -> None:
    """Remove rows without any text (covering cells included); shift rows and spans."""
    views = table.row_views()
    empty = [r for r, view in enumerate(views) if not any(c.text for c in view)]
    if not empty:
        return
    empty_set = set(empty)
    kept: list[Cell] = []
    for cell in table.cells:
        rows = [r for r in range(cell.row, cell.row + cell.row_span) if r not in empty_set]
        if not rows:
            continue
        cell.row_span = len(rows)
        cell.row = rows[0] - sum(1 for r in empty if r < rows[0])
        kept.append(cell)
    table.cells = kept


def _table_kind(table: LexborNode) -> str:
    """'data' for a report-like grid; 'layout' for wrappers (nested tables, prose cells, one column)."""
    if any(t.mem_id != table.mem_id for t in table.css("table")):
        return "layout"
    rows = [_row_cells(tr) for group in _row_groups(table) for tr in group]
    # the cheap length (links included) bounds the visible one
    if any(len(_WS_RUN.sub("", c.text(deep=True) or "")) > PROSE_CELL_CHARS and _visible_len(c) > PROSE_CELL_CHARS
           for row in rows for c in row):
        return "layout"
    widths = [sum(min(max(_parse_span(c.attributes.get("colspan")), 1), 2) for c in row) for row in rows]
    if max(widths, default=0) <= 1:
        return "layout"
    return "data"


# ---------------------------------------------------------------- merging split tables


def _is_value_like(text: str) -> bool:
    return bool(_VALUE_LIKE.match(text))


def _row_texts(table: Table, row: int) -> tuple[str, ...]:
    return tuple(c.text for c in table.rows()[row])


def _drop_repeated_header(prev: Table, nxt: Table) -> Table:
    """Drop leading rows of ``nxt`` that repeat the first rows of ``prev`` (Word repeats headers)."""
    k = 0
    while k < min(prev.n_rows, nxt.n_rows) - 1 and _row_texts(prev, k) == _row_texts(nxt, k):
        if any(_is_value_like(t) for t in _row_texts(nxt, k)):
            break
        k += 1
    if k == 0:
        return nxt
    covering = [c for c in nxt.cells if c.row < k and c.row + c.row_span > k]
    if covering:
        return nxt
    cells = [replace(c, row=c.row - k) for c in nxt.cells if c.row >= k]
    return Table(cells=cells, locator=nxt.locator)


def _continuation_shift(prev: Table, nxt: Table) -> int | None:
    """Column shift at which ``nxt`` continues ``prev``, or None when it starts a new table."""
    if not prev.cells or not nxt.cells or nxt.n_cols > prev.n_cols:
        return None
    def shape(view: list[Cell]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return tuple(c.col for c in view), tuple(c.col + c.col_span for c in view)

    views = prev.row_views()  # once: the grid of a long merged table is not rebuilt per row
    first = shape(nxt.row_views()[0])
    if any(shape(view) == first for view in views):
        return 0
    shift = prev.n_cols - nxt.n_cols
    if shift == 0 or not any(_is_value_like(c.text) for c in nxt.rows()[0]):
        return None
    pairs = [(b, e) for b, e in zip(*shape(views[-1]), strict=True) if b >= shift]
    shifted = [(b + shift, e + shift) for b, e in zip(first[0], first[1], strict=True)]
    return shift if pairs == shifted else None


def _merge(prev: Table, nxt: Table, shift: int) -> Table:
    """Append ``nxt`` under ``prev`` (shifted right), extending label cells that reach the cut."""
    base = prev.n_rows
    last_view = prev.row_views()[base - 1] if base else []
    extend = {id(c): c for c in last_view if c.row + c.row_span == base}
    added = nxt.n_rows
    consumed: set[int] = set()
    # Word splits a vertically merged label: an empty cell under it continues it.
    for cell in sorted(nxt.rows()[0], key=lambda c: c.col):
        if cell.text:
            break
        above = next((c for c in last_view if c.col == cell.col + shift), None)
        if (
            above is not None
            and id(above) in extend
            and above.row_span > 1
            and above.col_span == cell.col_span
            and above.text
            and not _is_value_like(above.text)
        ):
            above.row_span += cell.row_span
            consumed.add(id(cell))
    if shift:
        for cell in last_view:
            if id(cell) in extend and cell.col + cell.col_span <= shift:
                cell.row_span += added
    cells = list(prev.cells)
    for cell in nxt.cells:
        if id(cell) in consumed:
            continue
        cell.row += base
        cell.col += shift
        cells.append(cell)
    return Table(cells=cells, locator=prev.locator)


# ---------------------------------------------------------------- page walk


def _lca(a: LexborNode, b: LexborNode) -> LexborNode:
    ancestors = set()
    node: LexborNode | None = a
    while node is not None:
        ancestors.add(node.mem_id)
        node = node.parent
    node = b
    while node is not None and node.mem_id not in ancestors:
        node = node.parent
    return node if node is not None else a


def _find_container(body: LexborNode, kinds: dict[int, str]) -> LexborNode:
    """Descend while one child holds most of the visible text; stop at data tables."""
    node = body
    for _ in range(MAX_DESCENT):  # each step reads the subtree's text: deep nesting must not make it quadratic
        total = _visible_len(node)
        kids = list(node.iter())
        if total == 0 or not kids:
            break
        best = max(kids, key=_visible_len)
        if _visible_len(best) < DOMINANT_SHARE * total:
            break
        if best.tag == "table" and kinds.get(best.mem_id) == "data":
            break
        node = best
    data_tables = [t for t in body.css("table") if kinds.get(t.mem_id) == "data"]
    inside = {t.mem_id for t in node.css("table")}
    if data_tables and not any(t.mem_id in inside for t in data_tables):
        biggest = max(data_tables, key=_visible_len)
        node = _lca(node, biggest)
    return node


@dataclass(slots=True)
class _Stats:
    chars: int = 0  # text without whitespace
    link_chars: int = 0
    links: int = 0
    has_data: bool = False  # holds a data table
    parts: int = 0  # children holding text
    direct: bool = False  # has text of its own (no text of its own and one part: a wrapper)


def _subtree_stats(container: LexborNode, kinds: dict[int, str]) -> dict[int, _Stats]:
    """Per element of the container: text, link text, links, data tables (one post-order pass)."""
    stats: dict[int, _Stats] = {}
    stack: list[tuple[LexborNode, bool]] = [(container, False)]
    while stack:
        node, done = stack.pop()
        is_data = node.tag == "table" and kinds.get(node.mem_id) == "data"
        if is_data:  # never chrome, nor is anything holding it: its cells need no counting
            stats[node.mem_id] = _Stats(chars=1, parts=1, has_data=True)
            continue
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in node.iter())
            continue
        own = _Stats()
        for child in node.iter(include_text=True):
            if child.tag == "-text":
                n = len(_WS_RUN.sub("", child.text_content or ""))
                own.chars += n
                own.parts += n > 0
                own.direct = own.direct or n > 0
            elif (sub := stats.get(child.mem_id)) is not None:
                own.parts += sub.chars > 0
                own.chars += sub.chars
                own.link_chars += sub.link_chars
                own.links += sub.links
                own.has_data = own.has_data or sub.has_data
        if node.tag == "a":
            own.link_chars, own.links = own.chars, own.links + 1
        stats[node.mem_id] = own
    return stats


def _is_chrome(node: LexborNode, stats: dict[int, _Stats], footer_check: bool) -> bool:
    """A link list, footer or breadcrumb inside the container (see LINK_LIST_MIN_LINKS)."""
    st = stats.get(node.mem_id)
    if st is None or st.has_data:
        return False
    if st.links >= LINK_LIST_MIN_LINKS and st.link_chars >= LINK_LIST_SHARE * st.chars:
        return True
    # a wrapper is judged by its child (reading the text of every wrapper of a deep chain is quadratic)
    if st.chars > CHROME_BLOCK_CHARS or (st.parts < 2 and not st.direct) or not st.links and not footer_check:
        return False
    text = node.text(deep=True) or ""
    if st.links and _BREADCRUMB.match(text) and st.chars <= 80:
        return True
    if footer_check and any(m in text for m in _FOOTER_STRONG):
        return sum(1 for m in _FOOTER_MARKERS if m in text) >= 2
    return False


def _walk(
    container: LexborNode, kinds: dict[int, str], numbers: dict[int, int], warnings: list[str]
) -> list[str | _TableItem]:
    """Text lines and data tables of the container, in document order; chrome blocks skipped."""
    items: list[str | _TableItem] = []
    buf: list[str] = []
    stats = _subtree_stats(container, kinds)
    whole = container.text(deep=True) or ""
    footer_check = any(m in whole for m in _FOOTER_STRONG)

    def flush() -> None:
        text = _normalize_inline("".join(buf))
        buf.clear()
        if text:
            items.append(text)

    stack: list[tuple[LexborNode, bool]] = [(container, False)]
    while stack:
        node, done = stack.pop()
        tag = node.tag
        if done:
            if tag in _BLOCKS:
                flush()
            continue
        if tag == "-text":
            buf.append(node.text_content or "")
            continue
        if tag.startswith("-") or tag.startswith("_"):
            continue
        if tag == "table" and kinds.get(node.mem_id) == "data":
            flush()
            table = _form_table(node, numbers[node.mem_id], warnings)
            if table.cells:
                items.append(_TableItem(table, [numbers[node.mem_id]]))
            continue
        if tag in _BLOCKS and node.mem_id != container.mem_id and _is_chrome(node, stats, footer_check):
            flush()
            continue
        if tag == "pre":
            flush()
            items.extend(line.strip() for line in (node.text(deep=True) or "").splitlines() if line.strip())
            continue
        if tag in _BLOCKS:
            flush()
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_children(node)))
    flush()
    return items


def _merge_items(items: list[str | _TableItem]) -> list[str | _TableItem]:
    """Merge consecutive tables that are parts of one logical table."""
    out: list[str | _TableItem] = []
    for item in items:
        prev = out[-1] if out else None
        if isinstance(item, _TableItem) and isinstance(prev, _TableItem):
            nxt = _drop_repeated_header(prev.table, item.table)
            shift = _continuation_shift(prev.table, nxt) if nxt.cells else None
            if shift is not None:
                merged = _merge(prev.table, nxt, shift)
                numbers = prev.numbers + item.numbers
                merged.locator = "table " + "+".join(str(n) for n in numbers)
                out[-1] = _TableItem(merged, numbers)
                continue
        out.append(item)
    return out


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows():
        if row:
            lines.append("| " + " | ".join(c.text for c in row) + " |")
    return lines


# ---------------------------------------------------------------- metadata


def _read_meta(tree: LexborHTMLParser) -> dict[str, str]:
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("name") or attrs.get("property")
        content = (attrs.get("content") or "").strip()
        if key and content and key not in meta:
            meta[key.strip()] = _normalize_inline(content)
    title = tree.css_first("title")
    if title is not None:
        text = _normalize_inline(title.text(deep=True) or "")
        if text:
            meta["html_title"] = text
    return meta


def _pick_title(meta: dict[str, str], container: LexborNode, lines: list[str]) -> str | None:
    candidates: list[str] = []
    for key in ("ArticleTitle", "articletitle", "og:title", "title"):
        if meta.get(key):
            candidates.append(meta[key])
    if meta.get("html_title"):
        candidates.append(_TITLE_SPLIT.split(meta["html_title"])[0])
    for node in container.css("h1, h2, h3, [class*=title]"):
        text = _cell_text(node)
        if text and len(text) <= 80:
            candidates.append(text)
    for text in candidates:
        if "报告" in text:
            return text
    if candidates:
        return candidates[0]
    head = lines[:8]
    for i, line in enumerate(head):
        if len(line) > 60 or line.endswith(("。", "：", ":")):
            continue
        if "报告" in line:
            return line
        if i + 1 < len(head) and "报告" in head[i + 1] and len(line + head[i + 1]) <= 60:
            return line + head[i + 1]
    return None


# ---------------------------------------------------------------- entry point


def _slim(data: bytes, warnings: list[str]) -> bytes:
    """A page over the cap without its inline base64 data (pasted images), most of such a page's weight."""
    if len(data) <= MAX_BYTES:
        return data
    inline = sum(m.end() - m.start() - len(b"data:,") for m in _DATA_URI.finditer(data))
    if len(data) - inline > MAX_BYTES:  # refused before a slim copy of a huge page is made
        _check_bytes(data)
    slim = _DATA_URI.sub(b"data:,", data)
    if len(slim) < len(data):
        warnings.append(f"{(len(data) - len(slim)) / 2**20:.1f} MB of inline base64 data: URIs dropped")
    return slim


def _check_bytes(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise too_large("HTML pages (inline data: URIs not counted)", len(data), MAX_BYTES)
    if not data or data.isspace():
        raise ExtractionError("empty_file", "HTML input is empty")
    head = data[:8192]
    if head.lstrip().startswith(_BINARY_MAGIC):
        raise ExtractionError("binary_garbage", "input is a binary file (PDF, ZIP, OLE or image signature)")
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        control = len(head) - len(head.translate(None, _CONTROL_BYTES))
        if b"\x00" in head or control * 20 > len(head):
            raise ExtractionError("binary_garbage", "input contains binary control bytes")


def extract_html(data: bytes, http_charset: str | None = None) -> Document:
    """Extract the report body text, metadata and tables from an HTML page."""
    warnings: list[str] = []
    data = _slim(data, warnings)
    _check_bytes(data)
    text, charset = decode_html(data, http_charset)
    if not _HTML_TAG.search(text[:200_000]):
        raise ExtractionError("unsupported_format", "no HTML element found in the input")
    if _OPENING.search(text[:8192]) and not _CLOSING.search(text[-4096:]):
        warnings.append("the page ends without </body> or </html>: truncated?")
    if text.count("\ufffd") > 10:
        warnings.append(f"decoding with {charset} replaced {text.count(chr(0xFFFD))} bytes")
    tree = LexborHTMLParser(text)
    meta = _read_meta(tree)
    meta["charset"] = charset
    numbers = {t.mem_id: i for i, t in enumerate(tree.css("table"), start=1)}
    if len(numbers) > MAX_TABLES:
        raise ExtractionError("too_complex", f"the page has {len(numbers)} tables, over the cap of {MAX_TABLES}")
    for node in tree.css(_JUNK):
        node.decompose()
    for node in [n for n in tree.css(_MAYBE_HIDDEN) if _is_hidden(n)]:
        node.decompose()
    for node in tree.css(", ".join(_CHROME)):
        parent = node.parent
        while parent is not None and parent.tag not in ("article", "main"):
            parent = parent.parent
        if parent is None:
            node.decompose()
    body = tree.body
    if body is None:
        raise ExtractionError("unsupported_format", "the page has no body")
    kinds = {t.mem_id: _table_kind(t) for t in body.css("table")}
    container = _find_container(body, kinds)
    items = _merge_items(_walk(container, kinds, numbers, warnings))
    lines: list[str] = []
    tables: list[Table] = []
    for item in items:
        if isinstance(item, _TableItem):
            tables.append(item.table)
            lines.extend(_table_lines(item.table))
        else:
            lines.append(item)
    if not lines:
        warnings.append("no report text found in the page")
    title = _pick_title(meta, container, [x for x in items if isinstance(x, str)])
    return Document(
        layout="html", text="\n".join(lines), tables=tables, title=title, meta=meta, warnings=warnings
    )
