"""What a chart is made of: series, marked intervals, and the chart as rendered (SVG plus its numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from markupsafe import Markup

__all__ = ["Bin", "Chart", "Interval", "Series"]


@dataclass(frozen=True, slots=True)
class Series:
    """A named line (or area, or band between ``low`` and ``high``) over a time axis.

    ``points`` are ``(time, value)``; a ``None`` value breaks the line (no data).
    ``style`` picks the look: ``line``, ``area`` (filled to zero), ``dashed``, ``band``
    (``points`` is the lower edge and ``upper`` the upper one).
    """

    name: str
    points: Sequence[tuple[datetime, float | None]]
    style: str = "line"
    upper: Sequence[tuple[datetime, float | None]] = ()
    color: int | None = None  # colour slot 0..7 (default: the series' position)


@dataclass(frozen=True, slots=True)
class Interval:
    """A period shaded on the time axis (a breaker open, a feature degraded); ``end`` None: still going."""

    start: datetime
    end: datetime | None
    label: str
    kind: str = "degraded"  # css class: degraded | breaker | forced


@dataclass(frozen=True, slots=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Chart:
    """One rendered chart: the SVG, its text alternative, and every number behind it as a table."""

    id: str
    title: str
    summary: str  # the text alternative, also shown under the chart
    svg: Markup
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    series: list[str] = field(default_factory=list)  # the names drawn, in legend order
    colors: list[int] = field(default_factory=list)  # their colour slots (s0..s7)

    @property
    def legend(self) -> list[tuple[str, str]]:
        """(name, css class) per series, for the legend under the chart."""
        return [(name, f"s{(self.colors[i] if i < len(self.colors) else i) % 8}") for i, name in enumerate(self.series)]

    @property
    def empty(self) -> bool:
        return not self.rows

    def csv(self) -> str:
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return buf.getvalue()
