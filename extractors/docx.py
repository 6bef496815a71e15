"""DOCX extractor: body paragraphs and tables (with gridSpan / vMerge spans) in document order.

A DOCX is a zip, so the bytes are checked with ``zipfile`` before python-docx sees them: size,
member count, compression ratio (zip bombs), CRCs (truncated or corrupted files), the presence of
``word/document.xml``, and no DTD in any XML part (OPC forbids DTDs; python-docx's lxml parser
already has ``resolve_entities=False`` and libxml2 >= 2.11 stops entity amplification, this is a
third fence). Tables are read from the WordprocessingML itself: a ``w:tc`` with ``w:gridSpan``
becomes one origin cell with ``col_span``; ``w:vMerge`` restart/continue cells become one origin
cell with ``row_span`` (the same thing python-docx expresses by returning one ``_tc`` for every
slot a merged cell covers). Locators are 1-based: table "t1", cell "t1 r3 c2".
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import docx  # python-docx (absolute import: this module is extractors.docx)
from lxml import etree

from common.document import Cell, Document, Table
from common.errors import ExtractionError, too_large

MAX_INPUT_BYTES = 100 * 1024 * 1024  # the file as downloaded
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # all members together, as declared and as read
MAX_MEMBERS = 2000
MAX_RATIO = 100  # uncompressed / compressed, for members larger than RATIO_MIN_BYTES
RATIO_MIN_BYTES = 1024 * 1024
MAX_SPAN = 200  # gridSpan / gridBefore values above this are clamped (and warned about)
MAX_TABLE_COLS = 500
SLIVER_TWIPS = 60  # grid columns narrower than ~1 mm hold no text of their own
MIN_MEDIAN_GRID_TWIPS = 300  # ...when the grid widths are real (some writers put 0 everywhere)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1024 * 1024
_WS = re.compile(r"\s+")

# Subtrees whose text is not visible body text: properties, deleted or moved-away runs, the VML
# copy of a text box (mc:Fallback repeats mc:Choice), field instructions.
_SKIP_INLINE = {
    _W + "pPr",
    _W + "rPr",
    _W + "del",
    _W + "moveFrom",
    _W + "instrText",
    _W + "delText",
    _W + "delInstrText",
    _MC + "Fallback",
}


def extract_docx(data: bytes) -> Document:
    """Read a DOCX file's body text and tables; raise ExtractionError for unreadable input."""
    check_docx_container(data)
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except Exception as exc:  # python-docx / lxml / zipfile raise many types on malformed files
        raise ExtractionError("docx_unreadable", f"python-docx cannot open the file: {_describe(exc)}") from exc

    sink = _Sink()
    try:
        _walk_blocks(body, sink)
    except RecursionError as exc:
        raise ExtractionError("docx_unreadable", "document nesting too deep") from exc

    meta = _core_properties(document)
    lines = sink.lines
    title = _guess_title(sink.paragraphs) or meta.get("core_title")
    return Document(
        layout="docx",
        text="\n".join(lines),
        tables=sink.tables,
        title=title,
        meta=meta,
        warnings=sink.warnings,
    )


def check_docx_container(data: bytes) -> None:
    """Raise ExtractionError unless ``data`` is a sane zip holding ``word/document.xml``."""
    if not data:
        raise ExtractionError("docx_unreadable", "empty file")
    if len(data) > MAX_INPUT_BYTES:
        raise too_large("DOCX files", len(data), MAX_INPUT_BYTES)
    if data.startswith(_OLE_MAGIC):
        raise ExtractionError(
            "docx_unreadable",
            "OLE compound file, not a zip: a binary .doc/.wps or a password-protected DOCX",
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ExtractionError("docx_unreadable", f"not a readable zip (truncated?): {_describe(exc)}") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ExtractionError("docx_zip_bomb", f"{len(infos)} zip members, cap {MAX_MEMBERS}")
        declared = sum(info.file_size for info in infos)
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise ExtractionError(
                "docx_zip_bomb", f"declared uncompressed size {declared} bytes, cap {MAX_UNCOMPRESSED_BYTES}"
            )
        for info in infos:
            if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ExtractionError(
                    "docx_zip_bomb",
                    f"member {info.filename!r} expands {info.compress_size} -> {info.file_size} bytes",
                )
            if info.flag_bits & 0x1:
                raise ExtractionError("docx_unreadable", f"member {info.filename!r} is encrypted")
        if "word/document.xml" not in archive.namelist():
            raise ExtractionError("docx_unreadable", "no word/document.xml: not a Word document")
        budget = MAX_UNCOMPRESSED_BYTES
        for info in infos:
            if info.is_dir():
                continue
            budget = _scan_member(archive, info, budget)


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> int:
    """Read one member fully (checks its CRC and the real size); reject a DTD in XML parts."""
    try:
        with archive.open(info) as stream:
            chunk = stream.read(_CHUNK)
            utf16 = chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:2]
            is_xml = utf16 or chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
            collected: list[bytes] = []
            tail = b""
            while chunk:
                budget -= len(chunk)
                if budget < 0:
                    raise ExtractionError("docx_zip_bomb", "members expand past the uncompressed size cap")
                if utf16:
                    collected.append(chunk)
                elif is_xml:
                    window = tail + chunk
                    if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                        raise _dtd_error(info.filename)
                    tail = chunk[-16:]
                chunk = stream.read(_CHUNK)
            if utf16:
                text = b"".join(collected).decode("utf-16", errors="replace")
                if "<!DOCTYPE" in text or "<!ENTITY" in text:
                    raise _dtd_error(info.filename)
    except ExtractionError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, zlib.error) as exc:
        raise ExtractionError(
            "docx_unreadable", f"member {info.filename!r} is corrupt or truncated: {_describe(exc)}"
        ) from exc
    return budget


def _dtd_error(name: str) -> ExtractionError:
    return ExtractionError("docx_unreadable", f"member {name!r} declares a DTD (not allowed in OOXML)")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


# --------------------------------------------------------------------------- body walk


@dataclass
class _Sink:
    """Collects what the body walk finds, in document order."""

    lines: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_paragraph(self, text: str) -> None:
        text = text.strip()
        if text:
            self.lines.append(text)
            self.paragraphs.append(text)

    def add_table(self, table: Table) -> None:
        self.tables.append(table)
        for row in table.rows():
            texts = [cell.text for cell in row]
            if any(texts):
                # A leading tab marks table rows, so "三、本年度办理结果" in a row is no section heading.
                self.lines.append("\t" + "\t".join(texts))


def _children(element: etree._Element) -> Iterator[etree._Element]:
    """Child elements, looking through content controls and custom-XML wrappers."""
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _children(content)
        elif tag in (_W + "customXml", _W + "smartTag"):
            yield from _children(child)
        else:
            yield child


def _walk_blocks(container: etree._Element, sink: _Sink) -> None:
    """Visit paragraphs and tables of a body or table cell in document order."""
    for child in _children(container):
        if child.tag == _W + "p":
            sink.add_paragraph(_inline_text(child))
        elif child.tag == _W + "tbl":
            _add_table(child, sink)
        elif child.tag == _W + "altChunk":
            sink.warnings.append("docx: embedded alternative-format chunk (altChunk) not read")


def _inline_text(element: etree._Element) -> str:
    """Visible text of a paragraph: runs, hyperlinks, insertions, field results, text boxes."""
    parts: list[str] = []
    _collect_inline(element, parts)
    return "".join(parts)


def _collect_inline(element: etree._Element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP_INLINE:
            continue
        if tag == _W + "t":
            parts.append(child.text or "")
        elif tag == _W + "tab":
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag == _W + "p":  # a paragraph inside a text box
            parts.append("\n")
            _collect_inline(child, parts)
        else:
            _collect_inline(child, parts)


# --------------------------------------------------------------------------- tables


def _rows(tbl: etree._Element) -> list[etree._Element]:
    return [child for child in _children(tbl) if child.tag == _W + "tr"]


def _cells(tr: etree._Element) -> list[etree._Element]:
    return [child for child in _children(tr) if child.tag == _W + "tc"]


def _nested_tables(tc: etree._Element) -> list[etree._Element]:
    return [child for child in _children(tc) if child.tag == _W + "tbl"]


def _int_val(element: etree._Element | None, default: int) -> int:
    if element is None:
        return default
    raw = (element.get(_W + "val") or "").strip()
    try:
        return int(raw)
    except ValueError:
        return default


def _is_layout_wrapper(tbl: etree._Element) -> bool:
    """A table is a layout frame when it holds tables and almost no text cells of its own."""
    if next(tbl.iterdescendants(_W + "tbl"), None) is None:
        return False
    holders = 0
    plain_text_cells = 0
    for tr in _rows(tbl):
        for tc in _cells(tr):
            if _nested_tables(tc):
                holders += 1
            elif _cell_text(tc):
                plain_text_cells += 1
    return holders > 0 and plain_text_cells <= 2


def _add_table(tbl: etree._Element, sink: _Sink) -> None:
    if _is_layout_wrapper(tbl):
        # Read the frame's cells as body content: their paragraphs and inner tables, in order.
        for tr in _rows(tbl):
            for tc in _cells(tr):
                _walk_blocks(tc, sink)
        return
    index = len(sink.tables) + 1
    table, nested = _read_table(tbl, f"t{index}", sink.warnings)
    sink.add_table(table)
    if nested:
        sink.warnings.append(f"docx: t{index} has nested tables; they follow it as separate tables")
        for inner in nested:
            _add_table(inner, sink)


def _cell_text(tc: etree._Element) -> str:
    """A cell's paragraphs joined by spaces, whitespace collapsed (nested tables excluded)."""
    texts = [_inline_text(child) for child in _children(tc) if child.tag == _W + "p"]
    return _WS.sub(" ", " ".join(texts)).strip()


def _read_table(tbl: etree._Element, locator: str, warnings: list[str]) -> tuple[Table, list[etree._Element]]:
    """Origin cells of one table; vMerge continue cells extend the cell above."""
    table = Table(locator=locator)
    owner: dict[tuple[int, int], Cell] = {}  # (row, col) -> origin cell covering that slot
    nested: list[etree._Element] = []
    clamped = False
    for r, tr in enumerate(_rows(tbl)):
        tr_pr = tr.find(_W + "trPr")
        col = _int_val(tr_pr.find(_W + "gridBefore") if tr_pr is not None else None, 0)
        if not 0 <= col <= MAX_SPAN:
            col, clamped = max(0, min(col, MAX_SPAN)), True
        for tc in _cells(tr):
            if col >= MAX_TABLE_COLS:
                clamped = True
                break
            tc_pr = tc.find(_W + "tcPr")
            span = _int_val(tc_pr.find(_W + "gridSpan") if tc_pr is not None else None, 1)
            if not 1 <= span <= MAX_SPAN:
                span, clamped = max(1, min(span, MAX_SPAN)), True
            span = min(span, MAX_TABLE_COLS - col)
            v_merge = tc_pr.find(_W + "vMerge") if tc_pr is not None else None
            h_merge = tc_pr.find(_W + "hMerge") if tc_pr is not None else None
            nested.extend(_nested_tables(tc))
            above = owner.get((r - 1, col))
            left = owner.get((r, col - 1))
            is_continue = v_merge is not None and (v_merge.get(_W + "val") or "continue") == "continue"
            h_continue = h_merge is not None and (h_merge.get(_W + "val") or "continue") == "continue"
            if is_continue and above is not None and above.col == col and above.row + above.row_span == r:
                above.row_span += 1
                cell = above
            elif h_continue and left is not None and left.row == r:
                left.col_span += span
                cell = left
            else:
                cell = Cell(row=r, col=col, text=_cell_text(tc), col_span=span)
                table.cells.append(cell)
            for c in range(col, col + span):
                owner[(r, c)] = cell
            col += span
    if clamped:
        warnings.append(f"docx: {locator} has out-of-range spans or too many columns; clamped")
    if _collapse_sliver_columns(table, _grid_widths(tbl)):
        warnings.append(f"docx: {locator} had hairline grid columns (misaligned borders); merged away")
    for cell in table.cells:
        cell.locator = f"{locator} r{cell.row + 1} c{cell.col + 1}"
    return table, nested


def _grid_widths(tbl: etree._Element) -> list[int]:
    grid = tbl.find(_W + "tblGrid")
    if grid is None:
        return []
    return [_int_attr(col, _W + "w") for col in grid.findall(_W + "gridCol")]


def _int_attr(element: etree._Element, name: str) -> int:
    try:
        return int(float(element.get(name) or 0))
    except ValueError:
        return 0


def _collapse_sliver_columns(table: Table, widths: list[int]) -> bool:
    """Drop hairline grid columns (borders a twip apart) that no cell lies wholly inside.

    Word and LibreOffice add such columns when cell borders in different rows are almost but
    not quite aligned; left alone they give the same visual column two grid indices.
    """
    if len(widths) < 2 or table.n_cols > len(widths) or sorted(widths)[len(widths) // 2] < MIN_MEDIAN_GRID_TWIPS:
        return False
    slivers = {i for i, w in enumerate(widths) if w < SLIVER_TWIPS}
    for cell in table.cells:
        if all(c in slivers for c in range(cell.col, cell.col + cell.col_span)):
            slivers.discard(cell.col)  # a cell lives there: keep that column
    if not slivers:
        return False
    new_index = [0] * (len(widths) + 1)
    for i in range(len(widths)):
        new_index[i + 1] = new_index[i] + (i not in slivers)
    for cell in table.cells:
        start, end = new_index[cell.col], new_index[cell.col + cell.col_span]
        cell.col, cell.col_span = start, end - start
    return True


# --------------------------------------------------------------------------- metadata


def _core_properties(document: object) -> dict[str, str]:
    meta: dict[str, str] = {}
    try:
        props = document.core_properties  # type: ignore[attr-defined]
        for key in ("title", "author", "last_modified_by", "subject"):
            value = getattr(props, key, None)
            if value:
                meta[f"core_{key}"] = str(value).strip()[:500]
        for key in ("created", "modified"):
            value = getattr(props, key, None)
            if value is not None:
                meta[f"core_{key}"] = value.isoformat()
    except Exception:  # a malformed docProps/core.xml costs the metadata, not the document
        pass
    return meta


_SECTION_START = re.compile(r"^[一二三四五六七八九十]+[、.．]")


def _guess_title(paragraphs: list[str]) -> str | None:
    """The first paragraph naming a 报告 before section 一, prefixed by a short publisher line."""
    previous: str | None = None
    for text in paragraphs[:12]:
        if _SECTION_START.match(text):
            break
        if "报告" in text and len(text) <= 80:
            if previous and len(previous) <= 40 and "。" not in previous and "报告" not in previous:
                return previous + text
            return text
        previous = text
    return None
