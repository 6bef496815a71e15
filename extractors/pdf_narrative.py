"""The narrative of a PDF report: lines outside tables in reading order, wrapped lines of a paragraph
joined, running headers/footers kept once at the start; and the report's title.
"""

from __future__ import annotations

import re
from collections import Counter

from common.document import join_wrapped
from extractors.pdf_pages import Line, Page, running_key

_HEADING_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+[、.．]\s*\S|第[一二三四五六七八九十]+[章节部分])"
)


def _margins(pages: list[Page]) -> tuple[float, float]:
    """The body text's left and right margins: the most common edges of long lines."""
    long = [ln for p in pages for ln in p.lines if len(ln.text) >= 15 and not ln.running]
    if not long:
        long = [ln for p in pages for ln in p.lines if not ln.running]
    if not long:
        return 0.0, 0.0
    left = Counter(round(ln.x0) for ln in long).most_common(1)[0][0]
    right = Counter(round(ln.x1) for ln in long).most_common(1)[0][0]
    return float(left), float(right)


def narrative_text(pages: list[Page]) -> str:
    """Lines outside tables in reading order, wrapped lines of a paragraph joined into one line."""
    left, right = _margins(pages)
    paragraphs: list[str] = []
    prev: Line | None = None
    running: dict[str, str] = {}  # running headers/footers leave the flow; each is kept once, first
    for page in pages:
        for ln in page.lines:
            if ln.running:
                running.setdefault(running_key(ln.text), ln.text)
        items: list[tuple[float, Line | None]] = [(ln.top, ln) for ln in page.lines if not ln.running]
        items += [(p.bbox[1], None) for p in page.pieces]
        for _, line in sorted(items, key=lambda it: (it[0], it[1] is not None)):
            if line is None:  # a table interrupts the text flow
                prev = None
                continue
            size = line.size or 10.0
            continues = (
                prev is not None
                and prev.x1 >= right - 1.5 * size
                and line.x0 <= left + 0.75 * size
                and not _HEADING_RE.match(line.text)
            )
            if continues and paragraphs:
                paragraphs[-1] = join_wrapped([paragraphs[-1], line.text])
            else:
                paragraphs.append(line.text)
            prev = line
    return "\n".join([*running.values(), *paragraphs])


def pick_title(pages: list[Page], meta: dict[str, str]) -> str | None:
    """The first lines of page 1 set in the largest font, else the PDF's Title metadata."""
    if pages and pages[0].lines:
        lines = pages[0].lines
        body = Counter(round(ln.size) for ln in lines).most_common(1)[0][0]
        head = []
        for ln in lines[:6]:
            if body > 0 and ln.size >= body * 1.15:
                head.append(ln)
            elif head:
                break
        if head:
            return join_wrapped([ln.text for ln in head])
    title = meta.get("Title", "").strip()
    if title:
        return title
    first = pages[0].lines[0].text if pages and pages[0].lines else ""
    return first if "报告" in first else None
