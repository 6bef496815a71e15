"""OCR reader: page images (scanned PDF pages, table pictures in HTML pages and Word files) into
the Document every other reader produces.

Each image is straightened and its ruled tables cut into origin cells with spans
(extractors/ocr_grid.py); each cell's text is read by Tesseract (extractors/ocr_engine.py) and
carries its confidence (``Cell.confidence``, 0..1) and the engine's other readings of it
(``Cell.alternatives``: the cell read alone, where the row line read it with low confidence).
Short cells (numbers, short words) are read as one line per table row; longer cells (labels that
wrap) one by one. What lies outside the tables is the narrative, read as a page.

Locators: ``p3 img1 t2 r5 c4`` (PDF page 3, its page image, second table, row 5, column 4);
``img2 t1 r5 c4`` for the second picture of an HTML page or a Word file.

The numbers read here are not printed text: transforms/ocr_accept.py gives them the value
status ``ocr`` and lets the identities decide whether they are accepted.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field

import numpy as np

from common.document import Cell, Document, Table
from common.errors import ExtractionError

MAX_OCR_PAGES = 40  # pages (or pictures) of one file read by OCR; the rest is left with a warning
MAX_PIXELS = 60_000_000  # a larger picture is not decoded (a decompression bomb)
MIN_PICTURE = (300, 120)  # smaller pictures (icons, logos, seals) hold no table
RENDER_DPI = 200  # scanned PDF pages are rendered at this resolution
TARGET_HEIGHT = 32  # characters are scaled to this height (pixels) for the engine
LOW_CONFIDENCE = 0.85  # a short cell read with less is read again alone: its other reading is an alternative
_LATIN = re.compile(r"[A-Za-z{}\[\]]")
_NUMBER = re.compile(r"[+-]?[0-9][0-9,.]*(?:万?元)?")
SHORT_WIDTH = 9  # a cell at most this many character heights wide and one line high is read in its row line


@dataclass
class ImageRead:
    tables: list[Table] = field(default_factory=list)
    text: str = ""
    angle: float = 0.0
    seconds: float = 0.0
    cells: int = 0


def require_engine() -> None:
    """Raise ``ocr_unavailable`` when the engine or its language data is missing."""
    from extractors.ocr_engine import unavailable_reason

    reason = unavailable_reason()
    if reason:
        raise ExtractionError("ocr_unavailable", reason)


def decode_picture(data: bytes) -> np.ndarray | None:
    """A picture's pixels (BGR, alpha laid on white), or None when it is no picture, too large or too small."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                return None
            if img.width < MIN_PICTURE[0] or img.height < MIN_PICTURE[1]:
                return None
            rgba = img.convert("RGBA")
    except Exception:  # Pillow raises many types on a damaged or unknown picture
        return None
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    white.alpha_composite(rgba)
    return np.asarray(white.convert("RGB"))[:, :, ::-1].copy()


def read_image(image: np.ndarray, where: str) -> ImageRead:
    """The tables and the narrative of one page image; ``where`` prefixes the locators (``p1 img1``)."""
    import cv2

    from extractors.ocr_engine import PSM_PAGE, read_text
    from extractors.ocr_grid import analyse

    started = time.monotonic()
    page = analyse(image)
    out = ImageRead(angle=page.angle)
    scale = min(3.0, max(0.5, TARGET_HEIGHT / max(page.char_height, 1)))
    rest = page.gray.copy()
    for k, grid in enumerate(page.tables, start=1):
        x0, y0, x1, y1 = grid.box
        rest[max(0, y0 - 2):y1 + 3, max(0, x0 - 2):x1 + 3] = 255
        cells = _read_cells(page.clean, grid, page.char_height, scale)
        table = Table(locator=f"{where} t{k}")
        for box, (text, confidence, alternatives) in zip(grid.cells, cells, strict=True):
            table.cells.append(Cell(box.row, box.col, text, box.row_span, box.col_span,
                                    locator=f"{where} t{k} r{box.row + 1} c{box.col + 1}",
                                    confidence=round(confidence, 3), alternatives=alternatives))
        out.cells += len(table.cells)
        out.tables.append(table)
    if _has_ink(rest):
        if scale != 1.0 and scale < 1.5:
            rest = cv2.resize(rest, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else
                              cv2.INTER_CUBIC)
        out.text, _ = read_text(rest, PSM_PAGE)
    out.seconds = time.monotonic() - started
    return out


def _has_ink(gray: np.ndarray) -> bool:
    return bool((gray < 128).sum() > 50)


def _ink_crop(clean: np.ndarray, box: tuple[int, int, int, int], ch: int) -> np.ndarray | None:
    """The inside of a cell trimmed to its ink, with a margin; None for an empty cell."""
    x0, y0, x1, y1 = box
    inset = max(2, ch // 8)
    inner = clean[y0 + inset:y1 - inset + 1, x0 + inset:x1 - inset + 1]
    if inner.size == 0:
        return None
    ink = inner < 150
    if int(ink.sum()) < max(6, ch // 2):
        return None
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return inner[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _scaled(crop: np.ndarray, scale: float, pad: int) -> np.ndarray:
    import cv2

    if scale != 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def _read_cells(clean: np.ndarray, grid, ch: int, scale: float) -> list[tuple[str, float, tuple[str, ...]]]:
    """(text, confidence, alternatives) per cell of ``grid``, in its order."""
    from extractors.ocr_engine import PSM_BLOCK, clean_text, read_text, read_words

    out: list[tuple[str, float, tuple[str, ...]]] = [("", 1.0, ())] * len(grid.cells)
    short: dict[int, list[tuple[int, np.ndarray]]] = {}
    for i, cell in enumerate(grid.cells):
        crop = _ink_crop(clean, cell.box, ch)
        if crop is None:
            continue
        if crop.shape[0] <= 1.7 * ch and crop.shape[1] <= SHORT_WIDTH * ch:
            short.setdefault(cell.row, []).append((i, crop))
        else:
            text, confidence = read_text(_scaled(crop, scale, TARGET_HEIGHT // 2), PSM_BLOCK)
            out[i] = (clean_text(text).replace("\n", ""), confidence, ())
    pad = TARGET_HEIGHT // 2
    for items in short.values():
        pieces = [_scaled(crop, scale, 0) for _, crop in items]
        gap = 3 * TARGET_HEIGHT
        height = max(p.shape[0] for p in pieces) + 2 * pad
        width = sum(p.shape[1] for p in pieces) + gap * (len(pieces) + 1)
        line = np.full((height, width), 255, np.uint8)
        x = gap
        spans = []
        for piece in pieces:
            y = (height - piece.shape[0]) // 2
            line[y:y + piece.shape[0], x:x + piece.shape[1]] = piece
            spans.append((x - gap // 2, x + piece.shape[1] + gap // 2))
            x += piece.shape[1] + gap
        found: list[list] = [[] for _ in pieces]
        for word in read_words(line):
            middle = (word.box[0] + word.box[2]) / 2
            k = next((k for k, (a, b) in enumerate(spans) if a <= middle < b), None)
            if k is not None:
                found[k].append(word)
        # a word the line read per cell, placed by where it stands; a cell it left empty is read alone
        readings = [("".join(w.text for w in ws), min(w.confidence for w in ws)) if ws else _alone(piece, pad)
                    for ws, piece in zip(found, pieces, strict=True)]
        for (i, _crop), piece, (text, confidence) in zip(items, pieces, readings, strict=True):
            alternatives: tuple[str, ...] = ()
            if confidence < LOW_CONFIDENCE or _LATIN.search(text):
                # the cell alone, in Chinese only (a label the mixed model read as Latin letters)
                other, other_conf = _alone(piece, pad, "chi_sim")
                if other and other != text:
                    if other_conf > confidence and (not _is_number(text) or not text):
                        text, confidence, other = other, other_conf, text
                    alternatives = (other,) if other else ()
            out[i] = (text, confidence, alternatives)
    return out


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


def _alone(piece: np.ndarray, pad: int, lang: str = "chi_sim+eng") -> tuple[str, float]:
    import cv2

    from extractors.ocr_engine import read_words

    words = read_words(cv2.copyMakeBorder(piece, pad, pad, 3 * pad, 3 * pad, cv2.BORDER_CONSTANT, value=255),
                       lang=lang)
    if not words:
        return "", 0.0
    return "".join(w.text for w in words), min(w.confidence for w in words)


def document_of(reads: list[tuple[str, ImageRead]], layout: str, *, text_before: str = "", title: str | None = None,
                meta: dict[str, str] | None = None, warnings: list[str] | None = None) -> Document:
    """A Document from the pictures read (in order), after the narrative the source had as text."""
    texts = [text_before] if text_before.strip() else []
    tables: list[Table] = []
    notes = list(warnings or [])
    seconds = 0.0
    for where, read in reads:
        if read.text.strip():
            texts.append(read.text)
        tables.extend(read.tables)
        seconds += read.seconds
        if abs(read.angle) >= 0.05:
            notes.append(f"ocr_deskewed: {where} turned {read.angle:+.2f}°")
    notes.append(f"ocr: {len(reads)} images, {sum(r.cells for _, r in reads)} cells, {seconds:.1f} s")
    text = "\n".join(texts)
    if title is None:
        title = next((line.strip() for line in text.splitlines() if "报告" in line and len(line.strip()) <= 60), None)
    return Document(layout=layout, text=text, tables=tables, title=title, meta=dict(meta or {}), warnings=notes)


def extract_scanned_pdf(data: bytes) -> Document:
    """A PDF without a text layer: every page rendered and read (layout ``pdf_ocr``)."""
    import pypdfium2

    require_engine()
    try:
        pdf = pypdfium2.PdfDocument(data)
    except Exception as exc:
        raise ExtractionError("pdf_unreadable", f"PDF cannot be rendered for OCR: {exc}") from None
    reads: list[tuple[str, ImageRead]] = []
    warnings: list[str] = []
    try:
        n = len(pdf)
        if n > MAX_OCR_PAGES:
            warnings.append(f"ocr_pages_truncated: read {MAX_OCR_PAGES} of {n} pages")
        for number in range(1, min(n, MAX_OCR_PAGES) + 1):
            page = pdf[number - 1]
            try:
                bitmap = page.render(scale=RENDER_DPI / 72)
                pixels = bitmap.to_numpy()
            except Exception as exc:
                warnings.append(f"page_unreadable: p{number}: {type(exc).__name__}: {exc}")
                continue
            if pixels.ndim == 3 and pixels.shape[2] == 4:
                pixels = pixels[:, :, :3]
            where = f"p{number} img1"
            reads.append((where, read_image(np.ascontiguousarray(pixels), where)))
    finally:
        pdf.close()
    if not reads:
        raise ExtractionError("pdf_unreadable", "no page could be rendered for OCR: " + "; ".join(warnings[-3:]))
    return document_of(reads, "pdf_ocr", warnings=warnings)


def read_pictures(pictures: list[bytes], layout: str, base: Document) -> Document | None:
    """The pictures of an HTML page or Word file read after its text (``<layout>_ocr``); None if none decodes."""
    reads: list[tuple[str, ImageRead]] = []
    warnings = list(base.warnings)
    decoded = [(k, pixels) for k, data in enumerate(pictures, start=1) if (pixels := decode_picture(data)) is not None]
    if not decoded:
        return None
    require_engine()
    if len(decoded) > MAX_OCR_PAGES:
        warnings.append(f"ocr_pages_truncated: read {MAX_OCR_PAGES} of {len(decoded)} pictures")
    for k, pixels in decoded[:MAX_OCR_PAGES]:
        reads.append((f"img{k}", read_image(pixels, f"img{k}")))
    return document_of(reads, f"{layout}_ocr", text_before=base.text, title=base.title, meta=base.meta,
                       warnings=warnings)
