"""Server-rendered SVG charts for the console: pure functions from numbers to inline SVG markup.

    chart = time_chart("latency", "Latency p95", [Series("local", points)], start=a, end=b, unit="ms")
    chart.svg        # Markup: <svg role="img" aria-labelledby=...><title>...</title><desc>...</desc>...
    chart.rows       # every number drawn, for the table under the chart (and chart.csv())

No script, no ``style`` attribute (the Content-Security-Policy forbids both):
colours and line styles are classes in ``console.css`` (``s0``..``s7``,
``interval.breaker``, ``threshold``...). Labels are escaped.
"""

from .bars import bar_chart, histogram
from .model import Bin, Chart, Interval, Series
from .timeline import time_chart

__all__ = ["Bin", "Chart", "Interval", "Series", "bar_chart", "histogram", "time_chart"]
