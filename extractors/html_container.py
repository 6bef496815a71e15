"""The report container of an HTML page: where the report's text is, walked into text lines and data
tables with the page chrome it still holds skipped.

* The container is found by descending from ``<body>`` while one child element holds at least
  ``DOMINANT_SHARE`` of the visible non-link text; the descent stops at data tables. If the container
  holds no data table while the page has some, it widens to the common ancestor.
* Chrome the container still holds (templates that put the report's parts next to it) is skipped
  while walking it: link lists (相关文章, menus, share/print buttons), footers (版权所有 + ICP备 ...)
  and breadcrumbs (当前位置：...), never a block holding a data table (see ``LINK_LIST_MIN_LINKS``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from extractors.html_tables import TableItem, form_table
from extractors.html_text import BLOCKS, child_nodes, non_space_len, normalize_inline, visible_len

MAX_DESCENT = 100  # container search depth (real pages nest the article 5-30 elements deep)
DOMINANT_SHARE = 0.75
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


def find_container(body: LexborNode, kinds: dict[int, str]) -> LexborNode:
    """Descend while one child holds most of the visible text; stop at data tables."""
    lengths: dict[int, int] = {}

    def length(node: LexborNode) -> int:  # each element's visible length is read once (the best child is the next node)
        found = lengths.get(node.mem_id)
        if found is None:
            found = lengths[node.mem_id] = visible_len(node)
        return found

    node = body
    for _ in range(MAX_DESCENT):  # each step reads the subtree's text: deep nesting must not make it quadratic
        total = length(node)
        kids = list(node.iter())
        if total == 0 or not kids:
            break
        best = max(kids, key=length)
        if length(best) < DOMINANT_SHARE * total:
            break
        if best.tag == "table" and kinds.get(best.mem_id) == "data":
            break
        node = best
    data_tables = [t for t in body.css("table") if kinds.get(t.mem_id) == "data"]
    inside = {t.mem_id for t in node.css("table")}
    if data_tables and not any(t.mem_id in inside for t in data_tables):
        biggest = max(data_tables, key=length)
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
                n = non_space_len(child.text_content or "")
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


def walk_container(
    container: LexborNode, kinds: dict[int, str], numbers: dict[int, int], warnings: list[str]
) -> list[str | TableItem]:
    """Text lines and data tables of the container, in document order; chrome blocks skipped."""
    items: list[str | TableItem] = []
    buf: list[str] = []
    stats = _subtree_stats(container, kinds)
    whole = container.text(deep=True) or ""
    footer_check = any(m in whole for m in _FOOTER_STRONG)

    def flush() -> None:
        text = normalize_inline("".join(buf))
        buf.clear()
        if text:
            items.append(text)

    stack: list[tuple[LexborNode, bool]] = [(container, False)]
    while stack:
        node, done = stack.pop()
        tag = node.tag
        if done:
            if tag in BLOCKS:
                flush()
            continue
        if tag == "-text":
            buf.append(node.text_content or "")
            continue
        if tag.startswith("-") or tag.startswith("_"):
            continue
        if tag == "table" and kinds.get(node.mem_id) == "data":
            flush()
            table = form_table(node, numbers[node.mem_id], warnings)
            if table.cells:
                items.append(TableItem(table, [numbers[node.mem_id]]))
            continue
        if tag in BLOCKS and node.mem_id != container.mem_id and _is_chrome(node, stats, footer_check):
            flush()
            continue
        if tag == "pre":
            flush()
            items.extend(line.strip() for line in (node.text(deep=True) or "").splitlines() if line.strip())
            continue
        if tag in BLOCKS:
            flush()
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(child_nodes(node)))
    flush()
    return items
