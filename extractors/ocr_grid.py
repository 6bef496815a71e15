"""Table structure of a page image from its ruling lines (OpenCV), as boxes of origin cells with spans.

A page image is turned to gray through its red channel (a red seal stamped over a cell fades
out), straightened (the angle whose horizontal projection is sharpest, within ±4°), and
binarised. Ruling lines are what survives a morphological opening with a long thin kernel
(longer than any character stroke: three character heights across, 1.6 down). A table is a
connected block of horizontal and vertical lines; its distinct line positions cut it into
elementary slots, and two neighbouring slots with no ruling line between them belong to one
cell (a merged cell: row and column spans). What the lines enclose is each cell's crop; the
line pixels are whitened so the OCR reads only the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

MAX_SKEW = 4.0  # degrees searched either way
MIN_TABLE_SLOTS = 4  # a block of lines with fewer slots is a frame or a rule, not a table


@dataclass
class CellBox:
    row: int
    col: int
    row_span: int
    col_span: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 inside the lines


@dataclass
class TableGrid:
    box: tuple[int, int, int, int]
    n_rows: int
    n_cols: int
    cells: list[CellBox] = field(default_factory=list)


@dataclass
class PageImage:
    gray: np.ndarray  # straightened, lines kept
    clean: np.ndarray  # straightened, ruling lines whitened (what the OCR reads)
    angle: float
    char_height: int
    tables: list[TableGrid]


def to_gray(image: np.ndarray) -> np.ndarray:
    """Gray from a decoded image: the red channel of a colour image (red seals fade), alpha on white."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255
        image = (image[:, :, :3].astype(np.float32) * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return image[:, :, 2].copy()  # OpenCV's BGR order: index 2 is red


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0: Otsu on a lightly blurred image (JPEG noise), never darker than mid-gray ink."""
    blur = cv2.GaussianBlur(gray, (3, 3), 0)
    level, _ = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, binary = cv2.threshold(blur, min(level, 200), 255, cv2.THRESH_BINARY_INV)
    return binary


def skew_angle(binary: np.ndarray) -> float:
    """The rotation (degrees) that makes rows of ink sharpest: coarse then fine search on a small copy."""
    scale = min(1.0, 800 / max(binary.shape))
    small = cv2.resize(binary, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = small.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        turned = cv2.warpAffine(small, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, 0.25), key=sharpness)
    fine = max(np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05), key=sharpness)
    if sharpness(fine) <= sharpness(0.0) * 1.02:  # a straight page stays untouched (no resampling)
        return 0.0
    return round(float(fine), 2)


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)


def char_height(binary: np.ndarray) -> int:
    """The median height of ink blobs of character size (the scale every kernel follows)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    heights = [stats[i, cv2.CC_STAT_HEIGHT] for i in range(1, n)
               if 6 <= stats[i, cv2.CC_STAT_HEIGHT] <= 200 and stats[i, cv2.CC_STAT_WIDTH] <= 200
               and stats[i, cv2.CC_STAT_AREA] >= 12]
    return int(np.median(heights)) if heights else 20


def line_masks(binary: np.ndarray, ch: int) -> tuple[np.ndarray, np.ndarray]:
    """(horizontal, vertical) ruling-line masks."""
    h_len = max(3 * ch, 25)
    v_len = max(int(1.6 * ch), 14)
    horiz = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    vert = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    # close the small gaps JPEG noise and a residual tilt leave in a line
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    return horiz, vert


def _positions(mask: np.ndarray, axis: int, min_len: int, tol: int) -> list[int]:
    """Centres of the line segments of ``mask`` (axis 0: horizontal lines → y; 1: vertical → x)."""
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    found = []
    for i in range(1, n):
        length = stats[i, cv2.CC_STAT_WIDTH] if axis == 0 else stats[i, cv2.CC_STAT_HEIGHT]
        if length >= min_len:
            found.append(float(centroids[i, 1] if axis == 0 else centroids[i, 0]))
    found.sort()
    merged: list[list[float]] = []
    for value in found:
        if merged and value - merged[-1][-1] <= tol:
            merged[-1].append(value)
        else:
            merged.append([value])
    return [round(sum(g) / len(g)) for g in merged]


def _covered(mask: np.ndarray, x0: int, x1: int, y0: int, y1: int) -> bool:
    """Whether a ruling line runs along most of the segment (a box one line thick)."""
    part = mask[max(y0, 0):max(y1, y0 + 1), max(x0, 0):max(x1, x0 + 1)]
    if part.size == 0:
        return False
    along = part.max(axis=0 if (x1 - x0) > (y1 - y0) else 1)
    return float((along > 0).mean()) >= 0.6


def find_tables(horiz: np.ndarray, vert: np.ndarray, ch: int) -> list[TableGrid]:
    """Every ruled table: its slots from the distinct line positions, merged where no line parts them."""
    both = cv2.bitwise_or(horiz, vert)
    n, _, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=8)
    tables = []
    for i in range(1, n):
        x, y, w, h = (int(stats[i, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                  cv2.CC_STAT_HEIGHT))
        if w < 6 * ch or h < 2 * ch:
            continue
        hm = horiz[y:y + h, x:x + w]
        vm = vert[y:y + h, x:x + w]
        ys = _positions(hm, 0, max(2 * ch, w // 40), max(3, ch // 3))
        xs = _positions(vm, 1, max(int(1.6 * ch), 14), max(3, ch // 3))
        if len(ys) < 2 or len(xs) < 2 or (len(ys) - 1) * (len(xs) - 1) < MIN_TABLE_SLOTS:
            continue
        grid = _cells(hm, vm, xs, ys, ch)
        for cell in grid.cells:
            x0, y0, x1, y1 = cell.box
            cell.box = (x0 + x, y0 + y, x1 + x, y1 + y)
        grid.box = (x, y, x + w, y + h)
        tables.append(grid)
    tables.sort(key=lambda t: (t.box[1], t.box[0]))
    return tables


def _cells(hm: np.ndarray, vm: np.ndarray, xs: list[int], ys: list[int], ch: int) -> TableGrid:
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    half = max(2, ch // 6)
    parent = list(range(n_rows * n_cols))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(n_rows):
        for c in range(n_cols):
            inner = max(1, (ys[r + 1] - ys[r]) // 6)
            if c + 1 < n_cols and not _covered(vm, xs[c + 1] - half, xs[c + 1] + half + 1,
                                               ys[r] + inner, ys[r + 1] - inner):
                union(r * n_cols + c, r * n_cols + c + 1)
            inner_x = max(1, (xs[c + 1] - xs[c]) // 6)
            if r + 1 < n_rows and not _covered(hm, xs[c] + inner_x, xs[c + 1] - inner_x,
                                               ys[r + 1] - half, ys[r + 1] + half + 1):
                union(r * n_cols + c, (r + 1) * n_cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(find(r * n_cols + c), []).append((r, c))
    grid = TableGrid((0, 0, 0, 0), n_rows, n_cols)
    taken: set[tuple[int, int]] = set()
    for slots in sorted(groups.values()):
        r0 = min(r for r, _ in slots)
        c0 = min(c for _, c in slots)
        r1 = max(r for r, _ in slots) + 1
        c1 = max(c for _, c in slots) + 1
        if any((r, c) in taken for r in range(r0, r1) for c in range(c0, c1)):
            continue  # a ragged group (a broken line): its rectangle overlaps a cell already placed
        taken.update((r, c) for r in range(r0, r1) for c in range(c0, c1))
        grid.cells.append(CellBox(r0, c0, r1 - r0, c1 - c0, (xs[c0], ys[r0], xs[c1], ys[r1])))
    grid.cells.sort(key=lambda cell: (cell.row, cell.col))
    return grid


def analyse(image: np.ndarray) -> PageImage:
    """Straighten a page image and find its ruled tables."""
    gray = to_gray(image)
    angle = skew_angle(binarize(gray))
    gray = rotate(gray, angle)
    binary = binarize(gray)
    ch = char_height(binary)
    horiz, vert = line_masks(binary, ch)
    tables = find_tables(horiz, vert, ch)
    clean = gray.copy()
    lines = cv2.dilate(cv2.bitwise_or(horiz, vert), cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    clean[lines > 0] = 255
    return PageImage(gray=gray, clean=clean, angle=angle, char_height=ch, tables=tables)
