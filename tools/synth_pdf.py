"""Synthetic PDF reports: a hand-written PDF 1.4 writer with ruled tables and CJK text.

Text uses the non-embedded Adobe-GB1 CID font ``STSong-Light`` with the ``UniGB-UCS2-H`` CMap, one of
the standard CJK fonts every PDF reader substitutes, so no font file and no new dependency are needed;
pdfminer/pdfplumber map it back to Unicode. Every glyph is laid out one em wide. Tables are drawn with
ruling lines (what pdfplumber's table finder looks for); a table that does not fit is cut at the page
break and continues on the next page with its cut labels repeated, as in real reports.
"""

from __future__ import annotations

from collections.abc import Callable

from tools.synth_render import Block, LCell, LTable, geometry, split_table

PAGE_W, PAGE_H, MARGIN = 595.0, 842.0, 50.0
BODY, CELL = 11.0, 8.0  # font sizes
PAD = 2.0


def _hex(text: str) -> str:
    return "<" + text.encode("utf-16-be", "replace").hex().upper() + ">"


def _wrap(text: str, size: float, width: float) -> list[str]:
    per = max(1, int(width // size))
    out: list[str] = []
    for part in text.split("\n"):
        out.extend([part[i:i + per] for i in range(0, len(part), per)] or [""])
    return out


class _Pages:
    def __init__(self, page_numbers: bool = True, repeat_head: int = 0, ruled: bool = True) -> None:
        self.ruled = ruled  # False: borderless tables, text only (some converters and WPS exports)
        self.pages: list[list[str]] = [[]]
        self.y = PAGE_H - MARGIN
        self.page_numbers = page_numbers  # the "- N -" line a split table leaves on its next page
        self.repeat_head = repeat_head  # leading rows of a table 3 repeated on its continuation page

    def new_page(self) -> None:
        self.pages.append([])
        self.y = PAGE_H - MARGIN

    def text(self, x: float, y: float, size: float, s: str) -> None:
        self.pages[-1].append(f"BT /F1 {size:g} Tf {x:.1f} {y:.1f} Td {_hex(s)} Tj ET")

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        if self.ruled:
            self.pages[-1].append(f"{x:.1f} {y:.1f} {w:.1f} {h:.1f} re S")


def _col_widths(n_cols: int) -> list[float]:
    usable = PAGE_W - 2 * MARGIN
    if n_cols <= 4:  # table 2: a wide label column
        first = usable * 0.4
        return [first] + [(usable - first) / max(1, n_cols - 1)] * (n_cols - 1)
    return [usable / n_cols] * n_cols


def _row_heights(rows: list[list[LCell]], widths: list[float]) -> list[float]:
    _, geo = geometry(rows)
    heights = []
    for r, entries in enumerate(geo):
        h = CELL + 2 * PAD + 2
        for col, rs, cs, orow, oidx in entries:
            if orow == r and rs == 1:
                w = sum(widths[col:col + cs]) - 2 * PAD
                h = max(h, len(_wrap(rows[orow][oidx].text, CELL, w)) * (CELL + 1) + 2 * PAD + 2)
        heights.append(h)
    return heights


def _draw_table(pg: _Pages, rows: LTable | list[list[LCell]]) -> None:
    n_cols, _ = geometry(rows)
    widths = _col_widths(n_cols)
    heights = _row_heights(rows, widths)
    fit, y = 0, pg.y
    while fit < len(rows) and y - heights[fit] >= MARGIN:
        y -= heights[fit]
        fit += 1
    if fit == 0:  # nothing fits: start on a new page (a fresh page always fits a row)
        pg.new_page()
        return _draw_table(pg, rows)
    if fit < len(rows):
        top, bottom = split_table(rows, fit)
        head = pg.repeat_head if n_cols == 10 else 0  # the applications table (10 columns) only
        if 0 < head < fit:
            bottom = LTable([list(r) for r in rows[:head]] + list(bottom))
        _draw_table(pg, top)
        pg.new_page()
        if pg.page_numbers:
            pg.text(PAGE_W / 2 - 20, MARGIN / 2, 9, f"- {len(pg.pages) - 1} -")  # page number of the previous page
        return _draw_table(pg, bottom)
    _, geo = geometry(rows)
    xs = [MARGIN]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [pg.y]
    for h in heights:
        ys.append(ys[-1] - h)
    for r, entries in enumerate(geo):
        for col, rs, cs, orow, oidx in entries:
            if orow != r:
                continue
            x0, x1, top, bottom = xs[col], xs[col + cs], ys[r], ys[r + rs]
            pg.rect(x0, bottom, x1 - x0, top - bottom)
            lines = _wrap(rows[orow][oidx].text, CELL, x1 - x0 - 2 * PAD)
            ty = top - PAD - CELL
            for line in lines:
                if line:
                    pg.text(x0 + PAD, ty, CELL, line)
                ty -= CELL + 1
    pg.y = ys[-1] - 12


def render_pdf(
    blocks: list[Block],
    header: str | None = None,
    footer: Callable[[int, int], str] | None = None,
    repeat_head: int = 0,
    ruled: bool = True,
) -> bytes:
    """A text-layer PDF of a report (deterministic bytes).

    ``header`` is a running header printed at the top of every page, ``footer(page, n_pages)`` a
    running footer at the bottom (then the split-table page number is not printed); ``repeat_head``
    leading rows of the applications table are repeated where it continues on a new page;
    ``ruled=False`` draws the tables without their ruling lines.
    """
    pg = _Pages(page_numbers=footer is None, repeat_head=repeat_head, ruled=ruled)
    for kind, val in blocks:
        if kind == "table":
            _draw_table(pg, val)  # type: ignore[arg-type]
            continue
        size = 16.0 if kind == "title" else BODY
        for line in _wrap(str(val), size, PAGE_W - 2 * MARGIN):
            if pg.y - size * 1.5 < MARGIN:
                pg.new_page()
            pg.y -= size * 1.5
            pg.text(MARGIN, pg.y, size, line)
        pg.y -= 4
    n = len(pg.pages)
    for i, ops in enumerate(pg.pages, start=1):
        if header:
            ops.append(f"BT /F1 9 Tf {MARGIN:.1f} {PAGE_H - MARGIN / 2 - 9:.1f} Td {_hex(header)} Tj ET")
        if footer:
            text = footer(i, n)
            ops.append(f"BT /F1 9 Tf {PAGE_W / 2 - len(text) * 2.5:.1f} {MARGIN / 2:.1f} Td {_hex(text)} Tj ET")
    return _assemble(pg.pages)


def _assemble(pages: list[list[str]]) -> bytes:
    objs: list[bytes] = []
    n = len(pages)
    # 1 catalog, 2 pages, 3 font, 4 descendant, 5 descriptor, then (content, page) pairs
    kids = " ".join(f"{8 + 2 * i} 0 R" for i in range(n))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
                b"/DescendantFonts [4 0 R] >>")
    objs.append(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
                b"<< /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 5 0 R /DW 1000 >>")
    objs.append(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    objs.append(b"<< >>")  # 6: unused placeholder keeps numbering simple
    for ops in pages:
        stream = ("0.5 w\n" + "\n".join(ops)).encode("ascii")
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_no = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W:g} {PAGE_H:g}] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_no} 0 R >>".encode())
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)
