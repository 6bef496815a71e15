"""Extract a report from an HTML page: the body text, the tables as span-aware cell grids.

Pipeline: size/binary checks -> ``decode_html`` -> lexbor parse -> drop scripts, styles,
hidden elements and page chrome -> find the report container -> walk it into text lines and
tables -> merge tables split at page breaks -> ``Document(layout="html")``.

The parts live in their own modules: ``extractors/html_container.py`` finds the report container
and walks it, chrome skipped; ``extractors/html_tables.py`` forms tables (spans, layout tables,
tables split at page breaks); ``extractors/html_text.py`` gives the text of elements and cells.

Decisions worth knowing:

* Input over ``MAX_BYTES`` raises ``ExtractionError("too_large")``; a table whose spans cover
  more than ``html_tables.MAX_GRID_SLOTS`` slots or a page with more than ``MAX_TABLES`` tables
  raises ``ExtractionError("too_complex")``, and so does a page over the structure caps of
  ``common/markup.py`` (checked before parsing: elements, depth, nesting cost); empty input raises ``ExtractionError("empty_file")``;
  binary data (PDF/ZIP/OLE/image magic, NUL bytes, control characters) raises
  ``ExtractionError("binary_garbage")`` and text without a single HTML tag or body
  ``ExtractionError("unsupported_format")`` (codes: common/errors.py).
* A layout table (one holding another table, a cell of prose, or a single column) is read as
  blocks of text: only the data tables inside it become ``Table`` objects.
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

from selectolax.lexbor import LexborHTMLParser, LexborNode

from common.document import Document, Table
from common.encoding import decode_html
from common.errors import ExtractionError, too_large
from common.markup import check_markup
from extractors.html_container import find_container, walk_container
from extractors.html_tables import TableItem, merge_items, table_kind, table_lines
from extractors.html_text import cell_text, normalize_inline

MAX_BYTES = 50 * 1024 * 1024
MAX_TABLES = 1000  # <table> elements per page (layout tables included) before ExtractionError("too_complex")

_JUNK = "script, style, noscript, template, iframe, object, embed, svg, select, textarea, button, xml, head"
_CHROME = ("nav", "header", "footer", "aside")
# lexbor pre-filters in C (Word pages put a style on every span); _HIDDEN_STYLE decides
_MAYBE_HIDDEN = '[style*="display" i], [style*="mso-hide" i], [style*="visibility" i], [hidden]'
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden", re.I)
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


def _is_hidden(node: LexborNode) -> bool:
    attrs = node.attributes
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


# ---------------------------------------------------------------- metadata


def _read_meta(tree: LexborHTMLParser) -> dict[str, str]:
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("name") or attrs.get("property")
        content = (attrs.get("content") or "").strip()
        if key and content and key not in meta:
            meta[key.strip()] = normalize_inline(content)
    title = tree.css_first("title")
    if title is not None:
        text = normalize_inline(title.text(deep=True) or "")
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
        text = cell_text(node)
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
    check_markup(text)  # element count, depth and nesting cost, before the parser (quadratic in C) sees it
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
    kinds = {t.mem_id: table_kind(t) for t in body.css("table")}
    container = find_container(body, kinds)
    items = merge_items(walk_container(container, kinds, numbers, warnings))
    lines: list[str] = []
    tables: list[Table] = []
    for item in items:
        if isinstance(item, TableItem):
            tables.append(item.table)
            lines.extend(table_lines(item.table))
        else:
            lines.append(item)
    if not lines:
        warnings.append("no report text found in the page")
    title = _pick_title(meta, container, [x for x in items if isinstance(x, str)])
    return Document(
        layout="html", text="\n".join(lines), tables=tables, title=title, meta=meta, warnings=warnings
    )
