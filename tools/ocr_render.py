"""Render a report model (tools/degrade ``Model`` blocks) as page images, the way a scanner or a
screenshot sees it: title, headings and paragraphs wrapped on an A4 page, tables with their ruling
lines and merged cells (``LCell`` spans), cut across pages where they do not fit (the cut labels
repeat, tools/synth_render.split_table). Deterministic for a given Pillow and font file.

Used by tools/ocr_fixtures.py (the committed OCR fixtures) and by tests that draw a table.
The font is a CJK TrueType font from Debian (``fonts-wqy-zenhei`` or ``fonts-arphic-uming``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tools.synth_render import LCell, geometry, split_table

FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
A4 = (8.27, 11.69)  # inches


def font_path() -> str:
    for path in FONTS:
        if Path(path).exists():
            return path
    raise RuntimeError("no CJK font: apt-get install fonts-wqy-zenhei")


@lru_cache(maxsize=64)
def font(px: int, path: str | None = None) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path or font_path(), px)


def text_width(text: str, fnt: ImageFont.FreeTypeFont) -> float:
    return fnt.getlength(text)


def wrap(text: str, fnt: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (cut anywhere: CJK wraps by character)."""
    lines: list[str] = []
    for part in text.split("\n"):
        line = ""
        for ch in part:
            if line and text_width(line + ch, fnt) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


class Pages:
    """Pages drawn top to bottom; a block that does not fit starts a new page."""

    def __init__(self, dpi: int, font_file: str | None = None):
        self.dpi = dpi
        self.size = (round(A4[0] * dpi), round(A4[1] * dpi))
        self.margin = round(0.75 * dpi)
        self.font_file = font_file
        self.pages: list[Image.Image] = []
        self.new_page()

    def pt(self, points: float) -> int:
        return max(6, round(points * self.dpi / 72))

    def font(self, points: float) -> ImageFont.FreeTypeFont:
        return font(self.pt(points), self.font_file)

    @property
    def usable(self) -> int:
        return self.size[0] - 2 * self.margin

    @property
    def bottom(self) -> int:
        return self.size[1] - self.margin

    def new_page(self) -> None:
        self.page = Image.new("L", self.size, 255)
        self.draw = ImageDraw.Draw(self.page)
        self.pages.append(self.page)
        self.y = self.margin

    def paragraph(self, text: str, points: float, center: bool = False, indent: bool = False) -> None:
        fnt = self.font(points)
        line_h = round(self.pt(points) * 1.6)
        first = self.pt(points) * 2 if indent else 0
        lines = wrap(text, fnt, self.usable - first)
        for i, line in enumerate(lines):
            if self.y + line_h > self.bottom:
                self.new_page()
            x = self.margin + (first if i == 0 else 0)
            if center:
                x = self.margin + (self.usable - text_width(line, fnt)) / 2
            self.draw.text((x, self.y), line, fill=0, font=fnt)
            self.y += line_h
        self.y += round(line_h * 0.3)

    def table(self, rows: list[list[LCell]], points: float = 10.5) -> None:
        fnt = self.font(points)
        n_cols, geo = geometry(rows)
        widths = self._widths(rows, geo, n_cols, fnt)
        pad = max(3, self.pt(points) // 3)
        line_h = round(self.pt(points) * 1.35)
        heights = []
        for r, entries in enumerate(geo):
            h = line_h + 2 * pad
            for col, rs, cs, orow, oidx in entries:
                if orow == r and rs == 1:
                    w = sum(widths[col:col + cs]) - 2 * pad
                    h = max(h, len(wrap(rows[orow][oidx].text, fnt, w)) * line_h + 2 * pad)
            heights.append(h)
        fit, y = 0, self.y
        while fit < len(rows) and y + heights[fit] <= self.bottom:
            y += heights[fit]
            fit += 1
        if fit == 0:
            self.new_page()
            return self.table(rows, points)
        if fit < len(rows):
            top, rest = split_table(rows, fit)
            self.table(top, points)
            self.new_page()
            return self.table(rest, points)
        xs = [self.margin]
        for w in widths:
            xs.append(xs[-1] + w)
        ys = [self.y]
        for h in heights:
            ys.append(ys[-1] + h)
        stroke = max(1, round(self.dpi / 100))
        for r, entries in enumerate(geo):
            for col, rs, cs, orow, oidx in entries:
                if orow != r:
                    continue
                x0, x1, y0, y1 = xs[col], xs[col + cs], ys[r], ys[r + rs]
                self.draw.rectangle((x0, y0, x1, y1), outline=0, width=stroke)
                lines = wrap(rows[orow][oidx].text, fnt, x1 - x0 - 2 * pad)
                ty = y0 + (y1 - y0 - len(lines) * line_h) / 2
                for line in lines:
                    tx = x0 + (x1 - x0 - text_width(line, fnt)) / 2
                    self.draw.text((tx, ty), line, fill=0, font=fnt)
                    ty += line_h
        self.y = ys[-1] + line_h

    def _widths(self, rows, geo, n_cols: int, fnt) -> list[float]:
        """Column widths from the widest single-column text (labels capped), scaled to the page."""
        want = [2.5 * fnt.size] * n_cols
        for r, entries in enumerate(geo):
            for col, _rs, cs, orow, oidx in entries:
                if orow == r and cs == 1:
                    text = rows[orow][oidx].text
                    need = min(text_width(text, fnt) + fnt.size, self.usable * 0.3)
                    want[col] = max(want[col], need)
        floor = [0.0] * n_cols  # value columns keep their numbers on one line; labels wrap
        for r, entries in enumerate(geo):
            for col, _rs, cs, orow, oidx in entries:
                text = rows[orow][oidx].text
                if orow == r and cs == 1 and len(text) <= 12 and not any(ch > "\u2e80" for ch in text):
                    floor[col] = max(floor[col], text_width(text, fnt) + fnt.size)
        total = sum(want)
        widths = [w * self.usable / total for w in want]
        short = sum(max(0.0, f - w) for f, w in zip(floor, widths, strict=True))
        if short:
            slack = [max(0.0, w - f) for f, w in zip(floor, widths, strict=True)]
            give = sum(slack) or 1.0
            widths = [max(f, w - short * s / give) for f, w, s in zip(floor, widths, slack, strict=True)]
        return widths


def render_pages(blocks, dpi: int = 150, font_file: str | None = None) -> list[Image.Image]:
    """Grayscale page images of a report's blocks (``title``, ``h``, ``p``, ``table``)."""
    pages = Pages(dpi, font_file)
    for kind, value in blocks:
        if kind == "table":
            rows = value.rows if hasattr(value, "rows") else value
            pages.table(rows)
        elif kind == "title":
            pages.paragraph(str(value), 18, center=True)
        elif kind == "h":
            pages.paragraph(str(value), 13)
        else:
            pages.paragraph(str(value), 12, indent=True)
    return pages.pages
