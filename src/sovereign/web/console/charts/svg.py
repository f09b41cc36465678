"""SVG building blocks: escaping, scales, nice ticks, time ticks. Pure: strings in, strings out.

Every label goes through ``markupsafe.escape``; no element carries a ``style``
attribute or an event handler (the console's Content-Security-Policy allows
neither): looks come from classes in ``console.css``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

from markupsafe import Markup, escape

__all__ = [
    "H", "W", "PAD", "fmt", "nice_ticks", "scale", "svg_open", "text", "time_ticks", "ts",
]

W, H = 720, 220
PAD = {"left": 56, "right": 16, "top": 14, "bottom": 34}


def ts(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for an axis or a table: no trailing zeros, thousands separated."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def scale(d0: float, d1: float, r0: float, r1: float):  # noqa: ANN201 - a small closure
    span = (d1 - d0) or 1.0

    def f(v: float) -> float:
        return round(r0 + (v - d0) / span * (r1 - r0), 2)

    return f


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values covering ``lo``..``hi`` (``hi`` is raised to the last tick)."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks, v = [], first
    while v < hi + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


_TIME_STEPS = (
    (timedelta(minutes=5), "%H:%M"), (timedelta(minutes=15), "%H:%M"), (timedelta(hours=1), "%H:%M"),
    (timedelta(hours=3), "%H:%M"), (timedelta(hours=6), "%H:%M"), (timedelta(days=1), "%b %d"),
    (timedelta(days=2), "%b %d"), (timedelta(days=7), "%b %d"), (timedelta(days=14), "%b %d"),
    (timedelta(days=28), "%b %d"),
)


def time_ticks(start: datetime, end: datetime, count: int = 7) -> list[tuple[datetime, str]]:
    """Tick times aligned to whole steps (UTC), at most about ``count`` of them, with their labels."""
    span = end - start
    step, pattern = next(((s, p) for s, p in _TIME_STEPS if span / s <= count), _TIME_STEPS[-1])
    origin = datetime(2000, 1, 3, tzinfo=timezone.utc)  # a Monday: weekly ticks fall on Mondays
    first = origin + step * math.ceil((start.astimezone(timezone.utc) - origin) / step)
    out, t = [], first
    while t <= end:
        out.append((t, t.strftime(pattern)))
        t += step
    return out


def text(x: float, y: float, label: object, cls: str = "", anchor: str = "middle") -> str:
    c = f' class="{escape(cls)}"' if cls else ""
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}"{c}>{escape(str(label))}</text>'


def svg_open(chart_id: str, title: str, summary: str, cls: str = "chart") -> str:
    """The opening tag with its accessible name and description (``<title>``, ``<desc>``)."""
    cid = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(cls)}" viewBox="0 0 {W} {H}" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" aria-label="{escape(title)}" data-chart="{cid}">'
        f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(summary)}</desc>'
    )


def polyline_paths(points: Sequence[tuple[float, float | None]]) -> Iterable[list[tuple[float, float]]]:
    """Runs of consecutive defined points (a ``None`` breaks the line)."""
    run: list[tuple[float, float]] = []
    for x, y in points:
        if y is None:
            if run:
                yield run
            run = []
        else:
            run.append((x, y))
    if run:
        yield run


def done(parts: list[str]) -> Markup:
    return Markup("".join(parts) + "</svg>")
