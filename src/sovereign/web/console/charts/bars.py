"""Bars over categories (stacked by series) and histograms with a threshold line."""

from __future__ import annotations

from typing import Sequence

from markupsafe import escape

from .model import Bin, Chart
from .svg import H, PAD, W, done, fmt, nice_ticks, scale, svg_open, text

__all__ = ["bar_chart", "histogram"]


def _label_every(n: int, width: float, chars: int) -> int:
    """Label every k-th category so labels of about ``chars`` characters do not overlap."""
    need = chars * 6.5 + 6
    return max(1, int(-(-need // max(width / max(n, 1), 1))))


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    unit: str = "",
    threshold: float | None = None,
    threshold_label: str = "",
    summary: str = "",
    digits: int = 1,
    y_max: float | None = None,
) -> Chart:
    """One bar per category, the series stacked in order (negative values go below zero unstacked)."""
    x0, x1 = PAD["left"], W - PAD["right"]
    y0, y1 = H - PAD["bottom"], PAD["top"]
    n = len(categories)
    totals = [sum(max(0.0, vals[i]) for _, vals in series) for i in range(n)]
    lows = [min(0.0, *(vals[i] for _, vals in series)) if series else 0.0 for i in range(n)]
    hi = max([*totals, threshold or 0.0, y_max or 0.0], default=0.0)
    lo = min(lows, default=0.0)
    ticks = nice_ticks(lo if lo < 0 else 0.0, hi or 1.0)
    lo_t, hi_t = ticks[0], ticks[-1]
    sy = scale(lo_t, hi_t, y0, y1)
    slot = (x1 - x0) / max(n, 1)
    bar = max(1.0, slot * 0.78)
    text_summary = summary or _summary(title, categories, series, unit)
    parts = [svg_open(chart_id, title, text_summary)]
    for v in ticks:
        y = sy(v)
        parts.append(f'<line class="grid{" zero" if v == 0 else ""}" x1="{x0}" x2="{x1}" y1="{y}" y2="{y}"/>')
        parts.append(text(x0 - 6, y + 4, fmt(v), "tick", "end"))
    if unit:
        parts.append(text(4, y1 + 2, unit, "unit", "start"))
    every = _label_every(n, x1 - x0, max((len(c) for c in categories), default=1))
    for i, cat in enumerate(categories):
        x = round(x0 + slot * i + (slot - bar) / 2, 2)
        base = 0.0
        for k, (name, vals) in enumerate(series):
            v = vals[i]
            if v == 0:
                continue
            a, b = (base, base + v) if v > 0 else (v, 0.0)
            if v > 0:
                base += v
            top, bottom = sy(b), sy(a)
            tip = escape(f"{cat}: {name} {fmt(v, digits)}{' ' + unit if unit else ''}")
            parts.append(
                f'<rect class="bar s{k % 8}" data-series="{escape(name)}" x="{x}" y="{top}" width="{round(bar, 2)}" '
                f'height="{round(max(bottom - top, 0.5), 2)}"><title>{tip}</title></rect>'
            )
        if i % every == 0:
            parts.append(text(round(x + bar / 2, 2), y0 + 17, cat, "tick"))
    parts.append(f'<line class="axis" x1="{x0}" x2="{x1}" y1="{sy(0)}" y2="{sy(0)}"/>')
    if threshold is not None:
        y = sy(threshold)
        parts.append(f'<line class="threshold" x1="{x0}" x2="{x1}" y1="{y}" y2="{y}"/>')
        if threshold_label:
            parts.append(text(x1 - 2, y - 4, threshold_label, "threshold-label", "end"))
    columns = ["", *(f"{name} ({unit})" if unit else name for name, _ in series)]
    rows = [[cat, *(fmt(vals[i], digits) for _, vals in series)] for i, cat in enumerate(categories)]
    return Chart(chart_id, title, text_summary, done(parts), columns, rows, [name for name, _ in series])


def histogram(
    chart_id: str,
    title: str,
    bins: Sequence[Bin],
    *,
    threshold: float | None = None,
    threshold_label: str = "",
    x_label: str = "",
    summary: str = "",
) -> Chart:
    """Counts per numeric bin, with an optional vertical threshold (e.g. the hold score)."""
    x0, x1 = PAD["left"], W - PAD["right"]
    y0, y1 = H - PAD["bottom"], PAD["top"]
    lo = min((b.low for b in bins), default=0.0)
    hi = max((b.high for b in bins), default=1.0)
    if threshold is not None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    sx = scale(lo, hi, x0, x1)
    ticks = nice_ticks(0.0, max((b.count for b in bins), default=0) or 1)
    sy = scale(0.0, ticks[-1], y0, y1)
    total = sum(b.count for b in bins)
    text_summary = summary or (
        f"{title}: {total} value(s) in {len(bins)} bins from {fmt(lo)} to {fmt(hi)}"
        + (f"; {sum(b.count for b in bins if b.low >= threshold)} at or above {threshold_label or fmt(threshold)}"
           if threshold is not None else "") + "."
    )
    parts = [svg_open(chart_id, title, text_summary)]
    for v in ticks:
        y = sy(v)
        parts.append(f'<line class="grid" x1="{x0}" x2="{x1}" y1="{y}" y2="{y}"/>')
        parts.append(text(x0 - 6, y + 4, fmt(v), "tick", "end"))
    for b in bins:
        a, c = sx(b.low), sx(b.high)
        above = threshold is not None and b.low >= threshold
        tip = escape(f"{fmt(b.low)} to {fmt(b.high)}: {b.count}")
        if b.count:
            parts.append(
                f'<rect class="bar {"s1" if above else "s0"}" data-series="{"above" if above else "below"}" x="{a}" '
                f'y="{sy(b.count)}" width="{round(max(c - a - 1, 1), 2)}" height="{round(y0 - sy(b.count), 2)}">'
                f"<title>{tip}</title></rect>"
            )
    for v in nice_ticks(lo, hi, 5):
        if lo <= v <= hi:
            parts.append(text(sx(v), y0 + 17, fmt(v), "tick"))
    parts.append(f'<line class="axis" x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}"/>')
    if x_label:
        parts.append(text(x1, H - 2, x_label, "unit", "end"))
    if threshold is not None:
        x = sx(threshold)
        parts.append(f'<line class="threshold" data-threshold="{fmt(threshold)}" x1="{x}" x2="{x}" y1="{y1}" y2="{y0}"/>')
        parts.append(text(x + 4, y1 + 10, threshold_label or fmt(threshold), "threshold-label", "start"))
    columns = ["from", "to", "count"]
    rows = [[fmt(b.low), fmt(b.high), str(b.count)] for b in bins]
    names = ["below", "above"] if threshold is not None else ["count"]
    return Chart(chart_id, title, text_summary, done(parts), columns, rows, names)


def _summary(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], unit: str) -> str:
    if not categories:
        return f"{title}: no data."
    u = f" {unit}" if unit else ""
    bits = [f"{name}: total {fmt(sum(vals))}{u}, largest {fmt(max(vals))}{u}" for name, vals in series if vals]
    return f"{title}, {categories[0]} to {categories[-1]}. " + "; ".join(bits) + "."
