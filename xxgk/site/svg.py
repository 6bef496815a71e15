"""Charts as plain inline SVG: no charting library, no script, nothing fetched; they render offline in any
browser. Every mark has a ``<title>`` (the browser's tooltip) with its exact numbers."""

from __future__ import annotations

from html import escape

FONT = 'font-family="system-ui, \'Noto Sans CJK SC\', \'WenQuanYi Zen Hei\', sans-serif"'
BAR = "#3b6ea8"
AXIS = "#555"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(label)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT} font-size="12">'
            f'<title>{escape(label)}</title>' + "".join(body) + "</svg>")


def empty_chart(label: str, message: str = "no data", width: int = 560, height: int = 80) -> str:
    body = [f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#fafafa" stroke="#ccc"/>',
            f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="{AXIS}">{escape(message)}</text>']
    return _svg(width, height, body, label)


def bar_chart(items: list[tuple[str, float]], label: str, *, unit: str = "", width: int = 640,
              label_width: int = 260) -> str:
    """Horizontal bars, one per (label, value), in the order given."""
    if not items:
        return empty_chart(label)
    row, top = 24, 8
    height = top + row * len(items) + 24
    peak = max(v for _, v in items) or 1
    span = width - label_width - 70
    body = []
    for i, (name, value) in enumerate(items):
        y = top + i * row
        w = max(1.0, span * value / peak) if value else 0
        tip = f"{name}: {value:,.0f}{(' ' + unit) if unit else ''}"
        body.append(f'<g><title>{escape(tip)}</title>'
                    f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end">{escape(name)}</text>'
                    f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>'
                    f'<text x="{label_width + w + 4:.1f}" y="{y + 16}" fill="{AXIS}">{value:,.0f}</text></g>')
    body.append(f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{top + row * len(items)}" '
                f'stroke="{AXIS}"/>')
    return _svg(width, height, body, label)


def histogram(values: list[float], label: str, *, bins: int = 10, lo: float = 0.0, hi: float = 1.0,
              width: int = 460, height: int = 220, percent: bool = True) -> str:
    """Counts of ``values`` in ``bins`` equal bins over [lo, hi] (the last bin closed)."""
    values = [v for v in values if v is not None]
    if not values:
        return empty_chart(label, "no report has this rate (its denominator is zero or unknown)")
    counts = [0] * bins
    for v in values:
        i = int((min(max(v, lo), hi) - lo) / (hi - lo) * bins)
        counts[min(i, bins - 1)] += 1
    left, bottom, top = 40, 36, 10
    plot_w, plot_h = width - left - 24, height - bottom - top
    peak = max(counts)
    step = plot_w / bins
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{AXIS}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{AXIS}"/>',
            f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" fill="{AXIS}">{peak}</text>',
            f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" fill="{AXIS}">0</text>']
    fmt = (lambda x: f"{x * 100:.0f}%") if percent else (lambda x: f"{x:g}")
    for i, n in enumerate(counts):
        a, b = lo + (hi - lo) * i / bins, lo + (hi - lo) * (i + 1) / bins
        h = plot_h * n / peak if peak else 0
        x = left + i * step
        tip = f"{fmt(a)}–{fmt(b)}: {n} report{'s' if n != 1 else ''}"
        body.append(f'<g><title>{escape(tip)}</title><rect class="bar" x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{step - 2:.1f}" height="{h:.1f}" fill="{BAR}"/></g>')
    for i in range(0, bins + 1, max(1, bins // 5)):
        x = left + i * step
        body.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{AXIS}">'
                    f'{fmt(lo + (hi - lo) * i / bins)}</text>')
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" fill="{AXIS}">'
                f'{len(values)} reports</text>')
    return _svg(width, height, body, label)


STATUS_COLORS = {"loaded": "#2e7d32", "partial": "#f9a825", "failed": "#c62828", "missing": "#e0e0e0"}


def coverage_grid(rows: list[str], years: list[int], cells: dict[tuple[str, int], dict[str, int]], label: str,
                  *, cell: int = 34, label_width: int = 150) -> str:
    """Province × year: each cell split into the shares of publishers whose year is loaded, partial, failed or
    missing (stacked left to right), with the counts in its tooltip."""
    if not rows or not years:
        return empty_chart(label)
    top = 24
    width = label_width + cell * len(years) + 10
    height = top + cell * len(rows) + 40
    body = []
    for j, year in enumerate(years):
        body.append(f'<text x="{label_width + j * cell + cell / 2}" y="{top - 8}" text-anchor="middle" '
                    f'fill="{AXIS}">{year}</text>')
    for i, name in enumerate(rows):
        y = top + i * cell
        body.append(f'<text x="{label_width - 6}" y="{y + cell / 2 + 4}" text-anchor="end">{escape(name)}</text>')
        for j, year in enumerate(years):
            counts = cells.get((name, year), {})
            total = sum(counts.values())
            x = label_width + j * cell
            tip = f"{name} {year}: " + (", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no publisher")
            parts = [f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" fill="#fff" '
                     f'stroke="#ccc"/>']
            offset = 0.0
            for status, color in STATUS_COLORS.items():
                n = counts.get(status, 0)
                if not n:
                    continue
                w = (cell - 2) * n / total
                parts.append(f'<rect class="cov-{status}" x="{x + 1 + offset:.1f}" y="{y + 1}" width="{w:.1f}" '
                             f'height="{cell - 2}" fill="{color}"/>')
                offset += w
            body.append(f'<g><title>{escape(tip)}</title>{"".join(parts)}</g>')
    legend_y = top + cell * len(rows) + 18
    x = label_width
    for status, color in STATUS_COLORS.items():
        body.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>'
                    f'<text x="{x + 16}" y="{legend_y}">{status}</text>')
        x += 80
    return _svg(max(width, label_width + 330), height, body, label)
