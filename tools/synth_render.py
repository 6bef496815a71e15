"""Renderers for synthetic reports: one logical document -> text_tab, text_pipe, HTML, DOCX, PDF bytes.

A document is a list of blocks: ``("title", str)``, ``("h", str)``, ``("p", str)`` or ``("table", rows)``
where ``rows`` lists each row's ORIGIN cells (``LCell``) in column order, as in an HTML table.
Cell text may hold ``\\n`` (a label split over lines). Renderers are plain string templates (fast,
deterministic); the DOCX is a hand-written OOXML zip with fixed timestamps, the PDF a hand-written
PDF 1.4 file using the non-embedded Adobe-GB1 CID font ``STSong-Light`` (no font file needed).
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from typing import NamedTuple

Block = tuple[str, object]


class LCell(NamedTuple):
    """One origin cell of a logical table."""

    text: str
    rs: int = 1
    cs: int = 1


class LTable(list):
    """Rows of origin cells; ``shape_key`` names the span layout so geometry is computed once per key."""

    shape_key: object = None


# --------------------------------------------------------------------------- geometry

RowEntries = list[tuple[int, int, bool]]  # (col, index of origin cell in its row / origin row, is_origin)


@lru_cache(maxsize=256)
def _geometry(shape: tuple[tuple[tuple[int, int], ...], ...]) -> tuple[int, tuple[tuple[tuple, ...], ...]]:
    """Place cells of a table shape (rows of (rs, cs)) on a grid.

    Returns (n_cols, per row a tuple of entries (col, rs, cs, origin_row, origin_idx)) in column
    order: origins of this row and, once per origin, slots covered by a row span from above.
    """
    occ: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    origins: list[list[tuple[int, int, int, int, int]]] = []
    for r, row in enumerate(shape):
        c = 0
        placed = []
        for i, (rs, cs) in enumerate(row):
            while (r, c) in occ:
                c += 1
            placed.append((c, rs, cs, r, i))
            for rr in range(r, r + rs):
                for cc in range(c, c + cs):
                    occ[(rr, cc)] = (r, i, rs, cs)
            c += cs
        origins.append(placed)
    n_cols = max((c for (_, c) in occ), default=-1) + 1
    rows = []
    for r, placed in enumerate(origins):
        entries = list(placed)
        seen = set()
        for c in range(n_cols):
            hit = occ.get((r, c))
            if hit and hit[0] < r and (hit[0], hit[1]) not in seen:
                seen.add((hit[0], hit[1]))
                entries.append((c, hit[2], hit[3], hit[0], hit[1]))
        entries.sort()
        rows.append(tuple(entries))
    return n_cols, tuple(rows)


_BY_KEY: dict[object, tuple] = {}


def geometry(rows: list[list[LCell]]):
    """Grid placement of a logical table (cached by its shape key or its span shape)."""
    key = getattr(rows, "shape_key", None)
    if key is not None:
        hit = _BY_KEY.get(key)
        if hit is None:
            hit = _BY_KEY[key] = geometry(list(rows))
        return hit
    shape = tuple(tuple((c.rs, c.cs) for c in row) for row in rows)
    return _geometry(shape)


def split_table(rows: list[list[LCell]], at: int) -> tuple[LTable, LTable]:
    """Cut a table before row ``at`` (a page break): spans are cut, cut labels repeat below."""
    _, geo = geometry(rows)
    top, bottom = LTable(), LTable()
    key = getattr(rows, "shape_key", None)
    if key is not None:
        top.shape_key, bottom.shape_key = (key, "top", at), (key, "bottom", at)
    for r in range(at):
        top.append([LCell(c.text, min(c.rs, at - r), c.cs) for c in rows[r]])
    for r in range(at, len(rows)):
        out = []
        for _col, rs, cs, orow, oidx in geo[r]:
            cell = rows[orow][oidx]
            if orow == r:
                out.append(cell)
            elif r == at:  # covered from above the cut: repeat the label with the remaining span
                out.append(LCell(cell.text, orow + rs - at, cs))
        bottom.append(out)
    return top, bottom


# --------------------------------------------------------------------------- text layouts

def render_text_tab(blocks: list[Block]) -> str:
    """Web-copy text: one cell per line starting with a tab, blank line between rows."""
    out: list[str] = []
    for kind, val in blocks:
        if kind != "table":
            out.append(str(val))
            continue
        rows = val  # type: ignore[assignment]
        _, geo = geometry(rows)
        for r, entries in enumerate(geo):
            for _col, _rs, _cs, orow, oidx in entries:
                out.append("\t" + rows[orow][oidx].text if orow == r else "\t")
            out.append("")
        out.append("")
    return "\n".join(out) + "\n"


def render_text_pipe(blocks: list[Block]) -> str:
    """Pipe rows ``label | v | v |`` with one bare ``|`` per spanned slot appended at the end."""
    out: list[str] = []
    for kind, val in blocks:
        if kind != "table":
            out.append(str(val))
            continue
        rows = val  # type: ignore[assignment]
        n_cols, _ = geometry(rows)
        for row in rows:
            texts = [c.text.replace("\n", " ") for c in row]
            line = " | ".join(texts) + " |"
            missing = n_cols - len(row)
            if missing > 0:
                line += " " + "|" * missing
            out.append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- HTML (Word-exported look)

_MSO = {  # verbose Word-exported markup (mso-* styles, runs split over spans, <o:p>)
    "td": ('<td width="{w}" valign="center"{a} style="padding:3.7500pt 3.7500pt 3.7500pt 3.7500pt ;'
           "border-left:1.0000pt outset windowtext;mso-border-left-alt:1.0000pt outset windowtext;"
           "border-right:1.0000pt outset windowtext;border-top:1.0000pt outset windowtext;"
           'border-bottom:1.0000pt outset windowtext;">'),
    "p": ('<p class="p" align="center" style="margin-top:1.5000pt;margin-bottom:0.0000pt;'
          'mso-pagination:widow-orphan;text-align:center;line-height:21.0000pt;">'),
    "span": ('<span style="font-family:仿宋_GB2312;mso-hansi-font-family:Calibri;color:rgb(51,51,51);'
             'letter-spacing:0.0000pt;font-size:12.0000pt;mso-font-kerning:0.0000pt;">'),
    "op": '<span style="font-family:Calibri;mso-fareast-font-family:宋体;font-size:12.0000pt;"><o:p></o:p></span>',
    "table": ('<table border="1" cellspacing="0" style="border-collapse:collapse;border:none;'
              "mso-border-insideh:0.7500pt outset windowtext;mso-border-insidev:0.7500pt outset windowtext;"
              'mso-padding-alt:0.0000pt 0.0000pt 0.0000pt 0.0000pt ;"><tbody>'),
}
_PLAIN = {  # a CMS editor's table
    "td": '<td width="{w}"{a}>',
    "p": '<p align="center">',
    "span": "<span>",
    "op": "",
    "table": '<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;"><tbody>',
}


@lru_cache(maxsize=4096)
def _html_cell_body(text: str, mso: bool) -> str:
    st = _MSO if mso else _PLAIN
    p, span, op = st["p"], st["span"], st["op"]
    if not text:
        return p + span + "&nbsp;</span>" + op + "</p>"
    out = []
    for part in text.split("\n"):
        if op and len(part) > 5:  # Word splits runs arbitrarily: cut longer labels into two spans
            k = len(part) // 2
            out.append(p + span + part[:k] + "</span>" + span + part[k:] + "</span>" + op + "</p>")
        else:
            out.append(p + span + part + "</span>" + op + "</p>")
    return "".join(out)


def _html_table(rows: list[list[LCell]], mso: bool) -> str:
    st = _MSO if mso else _PLAIN
    out = [st["table"]]
    td = st["td"]
    for row in rows:
        out.append("<tr>")
        for c in row:
            a = ""
            if c.rs > 1:
                a += f' rowspan="{c.rs}"'
            if c.cs > 1:
                a += f' colspan="{c.cs}"'
            out.append(td.format(w=60 * c.cs, a=a) + _html_cell_body(c.text, mso) + "</td>")
        out.append("</tr>")
    out.append("</tbody></table>\n")
    return "".join(out)


def render_html(blocks: list[Block], charset: str = "utf-8", site_name: str = "", mso: bool = False) -> str:
    """A saved CMS page; ``mso`` gives the verbose Word-exported markup of real pages."""
    title = next((str(v) for k, v in blocks if k == "title"), "")
    out = [f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="{charset}" />\n'
           f'<meta name="SiteName" content="{site_name}"/>\n<meta name="ArticleTitle" content="{title}"/>\n'
           f"<title>{title}</title>\n</head>\n<body>\n"
           '<div class="article_area"><div class="article_content font_family_cn">\n']
    for kind, val in blocks:
        if kind == "table":
            out.append(_html_table(val, mso))  # type: ignore[arg-type]
        elif kind == "title":
            out.append(f'<p class="MsoNormal" align="center" style="text-align:center;"><span style="'
                       f'font-family:方正小标宋简体;font-size:22pt;">{val}</span></p>\n')
        elif kind == "h":
            out.append(f'<p class="MsoNormal"><span><font face="方正黑体_GBK">{val}</font></span></p>\n')
        else:
            out.append(f'<p class="MsoNormal" style="text-indent:32pt;"><span style="font-family:'
                       f'仿宋_GB2312;font-size:16pt;">{val}</span></p>\n')
    out.append("</div></div>\n</body>\n</html>\n")
    return "".join(out)


# --------------------------------------------------------------------------- DOCX (hand-written OOXML)

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
_DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_BORDERS = ("<w:tblBorders>" + "".join(
    f'<w:{b} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    for b in ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>")


def _docx_paras(text: str, center: bool = False, bold: bool = False) -> str:
    ppr = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center else ""
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return "".join(f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{part}</w:t></w:r></w:p>' if part
                   else f"<w:p>{ppr}</w:p>" for part in text.split("\n"))


def _docx_table(rows: list[list[LCell]]) -> str:
    n_cols, geo = geometry(rows)
    out = ["<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/>", _BORDERS, "</w:tblPr><w:tblGrid>"]
    out.append('<w:gridCol w:w="900"/>' * n_cols)
    out.append("</w:tblGrid>")
    for r, entries in enumerate(geo):
        out.append("<w:tr>")
        for _col, rs, cs, orow, oidx in entries:
            span = f'<w:gridSpan w:val="{cs}"/>' if cs > 1 else ""
            if orow == r:
                vm = '<w:vMerge w:val="restart"/>' if rs > 1 else ""
                body = _docx_paras(rows[orow][oidx].text, center=True)
            else:
                vm, body = "<w:vMerge/>", "<w:p/>"
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{900 * cs}" w:type="dxa"/>{span}{vm}</w:tcPr>{body}</w:tc>')
        out.append("</w:tr>")
    out.append("</w:tbl><w:p/>")
    return "".join(out)


def docx_document_xml(blocks: list[Block]) -> str:
    """The word/document.xml of a report."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<w:document xmlns:w="{_W_NS}"><w:body>']
    for kind, val in blocks:
        if kind == "table":
            out.append(_docx_table(val))  # type: ignore[arg-type]
        elif kind == "title":
            out.append(_docx_paras(str(val), center=True, bold=True))
        elif kind == "h":
            out.append(_docx_paras(str(val), bold=True))
        else:
            out.append(_docx_paras(str(val)))
    out.append('<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>')
    return "".join(out)


def docx_zip(document_xml: bytes) -> bytes:
    """Package a document.xml as a minimal, deterministic DOCX."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in (("[Content_Types].xml", _CONTENT_TYPES.encode()), ("_rels/.rels", _RELS.encode()),
                           ("word/_rels/document.xml.rels", _DOC_RELS.encode()),
                           ("word/document.xml", document_xml)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def render_docx(blocks: list[Block]) -> bytes:
    """A DOCX with real merged cells (gridSpan / vMerge)."""
    return docx_zip(docx_document_xml(blocks).encode("utf-8"))
