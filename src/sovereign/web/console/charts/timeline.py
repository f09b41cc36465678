"""Series over a time axis: lines, areas and bands, with marked intervals (breaker open, degraded)."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from markupsafe import escape

from .model import Chart, Interval, Series
from .svg import H, PAD, W, done, fmt, nice_ticks, polyline_paths, scale, svg_open, text, time_ticks, ts

__all__ = ["time_chart"]


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def time_chart(
    chart_id: str,
    title: str,
    series: Sequence[Series],
    *,
    start: datetime,
    end: datetime,
    unit: str = "",
    intervals: Sequence[Interval] = (),
    y_max: float | None = None,
    threshold: float | None = None,
    threshold_label: str = "",
    marker: datetime | None = None,
    marker_label: str = "",
    summary: str = "",
    digits: int = 1,
) -> Chart:
    """A chart of ``series`` between ``start`` and ``end``; ``intervals`` are shaded behind the lines.

    The y axis starts at 0 and reaches ``y_max`` (default: the largest value,
    band and threshold included, rounded up to a tick). ``marker`` draws a
    vertical line (e.g. "today" between history and forecast).
    """
    x0, x1 = PAD["left"], W - PAD["right"]
    y0, y1 = H - PAD["bottom"], PAD["top"]
    values = [v for s in series for _, v in (*s.points, *s.upper) if v is not None]
    if threshold is not None:
        values.append(threshold)
    top = y_max if y_max is not None else max(values, default=0.0)
    ticks = nice_ticks(0.0, top or 1.0)
    top = ticks[-1]
    sx = scale(ts(start), ts(end), x0, x1)
    sy = scale(0.0, top, y0, y1)

    def cx(t: datetime) -> float:
        return min(max(sx(ts(t)), x0), x1)

    text_summary = summary or _summary(title, series, start, end, unit, intervals)
    parts = [svg_open(chart_id, title, text_summary)]
    # intervals first, so lines stay on top
    for iv in intervals:
        a, b = cx(iv.start), cx(iv.end or end)
        if b - a < 2:
            b = a + 2
        label = f"{iv.label}: {_when(iv.start)} to {_when(iv.end) if iv.end else 'now'}"
        parts.append(
            f'<rect class="interval {escape(iv.kind)}" x="{a}" y="{y1}" width="{round(b - a, 2)}" height="{y0 - y1}">'
            f"<title>{escape(label)}</title></rect>"
        )
    for v in ticks:
        y = sy(v)
        parts.append(f'<line class="grid" x1="{x0}" x2="{x1}" y1="{y}" y2="{y}"/>')
        parts.append(text(x0 - 6, y + 4, fmt(v), "tick", "end"))
    for t, label in time_ticks(start, end):
        x = sx(ts(t))
        parts.append(f'<line class="tick" x1="{x}" x2="{x}" y1="{y0}" y2="{y0 + 4}"/>')
        parts.append(text(x, y0 + 17, label, "tick"))
    parts.append(f'<line class="axis" x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}"/>')
    if unit:
        parts.append(text(4, y1 + 2, unit, "unit", "start"))
    if threshold is not None:
        y = sy(threshold)
        parts.append(f'<line class="threshold" x1="{x0}" x2="{x1}" y1="{y}" y2="{y}"/>')
        if threshold_label:
            parts.append(text(x1 - 2, y - 4, threshold_label, "threshold-label", "end"))
    if marker is not None:
        x = cx(marker)
        parts.append(f'<line class="marker" x1="{x}" x2="{x}" y1="{y1}" y2="{y0}"/>')
        if marker_label:
            parts.append(text(x + 4, y1 + 10, marker_label, "marker-label", "start"))
    for i, s in enumerate(series):
        cls = f"series {escape(s.style)} s{(i if s.color is None else s.color) % 8}"
        name = escape(s.name)
        pts = [(sx(ts(t)), None if v is None else sy(v)) for t, v in s.points]
        if s.style == "band":
            upper = [(sx(ts(t)), None if v is None else sy(v)) for t, v in s.upper]
            lo = [p for p in pts if p[1] is not None]
            hi = [p for p in upper if p[1] is not None]
            if lo and hi:
                d = " ".join(f"{x},{y}" for x, y in (*lo, *reversed(hi)))
                parts.append(f'<polygon class="{cls}" data-series="{name}" points="{d}"><title>{name}</title></polygon>')
            continue
        for run in polyline_paths(pts):
            d = " ".join(f"{x},{y}" for x, y in run)
            if s.style == "area" and len(run) > 1:
                parts.append(f'<polygon class="{cls} fill" points="{run[0][0]},{y0} {d} {run[-1][0]},{y0}"/>')
            if len(run) == 1:
                x, y = run[0]
                parts.append(f'<circle class="{cls}" data-series="{name}" cx="{x}" cy="{y}" r="2.5"/>')
            else:
                parts.append(f'<polyline class="{cls}" data-series="{name}" points="{d}"><title>{name}</title></polyline>')
    columns, rows = _table(series, intervals, unit, digits)
    colors = [i if s.color is None else s.color for i, s in enumerate(series)]
    return Chart(chart_id, title, text_summary, done(parts), columns, rows, [s.name for s in series], colors)


def _table(series: Sequence[Series], intervals: Sequence[Interval], unit: str, digits: int) -> tuple[list[str], list[list[str]]]:
    """One row per time, one column per series (bands give two); intervals are listed after."""
    times: dict[datetime, dict[str, str]] = {}
    columns = ["time (UTC)"]
    for s in series:
        if s.style == "band":
            pairs = ((f"{s.name} low", s.points), (f"{s.name} high", s.upper))
        else:
            pairs = ((s.name, s.points),)
        for col, pts in pairs:
            columns.append(f"{col} ({unit})" if unit else col)
            for t, v in pts:
                times.setdefault(t, {})[columns[-1]] = fmt(v, digits)
    rows = [[_when(t), *(times[t].get(c, "") for c in columns[1:])] for t in sorted(times)]
    for iv in intervals:
        rows.append([_when(iv.start), f"{iv.label} until {_when(iv.end) if iv.end else 'now'}"]
                    + [""] * (len(columns) - 2))
    return columns, rows


def _summary(title: str, series: Sequence[Series], start: datetime, end: datetime, unit: str,
             intervals: Sequence[Interval]) -> str:
    bits = []
    for s in series:
        vals = [v for _, v in s.points if v is not None]
        if s.style == "band" or not vals:
            continue
        bits.append(f"{s.name}: latest {fmt(vals[-1])}{' ' + unit if unit else ''}, "
                    f"range {fmt(min(vals))} to {fmt(max(vals))}")
    if not bits:
        bits.append("no data in this period")
    marked = f"; {len(intervals)} marked period(s)" if intervals else ""
    return f"{title}, {_when(start)} to {_when(end)} UTC. " + "; ".join(bits) + marked + "."
