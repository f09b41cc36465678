"""The SVG chart module: series drawn, axis bounds, escaping, text alternatives, nothing the CSP would block."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from sovereign.web.console.charts import Bin, Interval, Series, bar_chart, histogram, time_chart

NS = {"s": "http://www.w3.org/2000/svg"}
T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def no_script_or_style(svg: str) -> None:
    assert "<script" not in svg and " style=" not in svg
    assert not re.search(r"\son[a-z]+=", svg)  # no event handler attributes


def test_time_chart_draws_each_series_with_intervals_and_a_table() -> None:
    points = [(T0 + timedelta(hours=h), float(h * 10)) for h in range(25)]
    p95 = [(t, v * 2 if i != 5 else None) for i, (t, v) in enumerate(points)]
    chart = time_chart(
        "lat", "Latency", [Series("p50", points), Series("p95", p95, style="dashed")],
        start=T0, end=T0 + timedelta(hours=24), unit="ms",
        intervals=[Interval(T0 + timedelta(hours=3), T0 + timedelta(hours=4), "breaker open", "breaker")],
    )
    svg = str(chart.svg)
    no_script_or_style(svg)
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Latency"
    assert root.find("s:title", NS).text == "Latency" and "p95" in root.find("s:desc", NS).text
    drawn = [e.get("data-series") for e in root.iter() if e.get("data-series")]
    assert drawn.count("p50") == 1 and drawn.count("p95") == 2  # the None at hour 5 breaks the p95 line in two
    rects = [e for e in root.iter("{http://www.w3.org/2000/svg}rect") if "interval" in (e.get("class") or "")]
    assert len(rects) == 1 and "breaker" in rects[0].get("class")
    # y axis: 0 up to a round number at or above the largest value (480)
    ticks = [e.text for e in root.iter("{http://www.w3.org/2000/svg}text") if e.get("text-anchor") == "end"]
    assert ticks[0] == "0" and 480 <= float(ticks[-1].replace(",", "")) < 960
    # every x coordinate stays inside the plot
    for line in root.iter("{http://www.w3.org/2000/svg}polyline"):
        xs = [float(p.split(",")[0]) for p in line.get("points").split()]
        assert min(xs) >= 56 and max(xs) <= 704
    assert chart.columns == ["time (UTC)", "p50 (ms)", "p95 (ms)"]
    assert chart.rows[0][:3] == ["2026-03-02 00:00", "0", "0"]
    assert chart.rows[5][2] == "-" and chart.rows[-1][1].startswith("breaker open until")
    assert chart.csv().splitlines()[0] == "time (UTC),p50 (ms),p95 (ms)"


def test_labels_and_names_are_escaped() -> None:
    evil = '<script>alert(1)</script>"&'
    chart = time_chart(evil, evil, [Series(evil, [(T0, 1.0), (T0 + timedelta(hours=1), 2.0)])],
                       start=T0, end=T0 + timedelta(hours=1), unit=evil,
                       intervals=[Interval(T0, None, evil)])
    svg = str(chart.svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)
    bars = str(bar_chart("b", evil, [evil], [(evil, [3.0])]).svg)
    assert "<script>" not in bars
    parse(bars)


def test_bar_chart_stacks_series_and_keeps_negative_values_below_zero() -> None:
    chart = bar_chart("hooks", "Deliveries", ["10:00", "10:01"], [("scheduled", [3, 1]), ("ignored", [2, 0])])
    root = parse(str(chart.svg))
    bars = [e for e in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert [b.get("data-series") for b in bars] == ["scheduled", "ignored", "scheduled"]  # a zero draws nothing
    first, second = bars[0], bars[1]
    assert float(second.get("y")) + float(second.get("height")) == float(first.get("y"))  # stacked on top
    assert chart.rows == [["10:00", "3", "2"], ["10:01", "1", "0"]]

    budget = bar_chart("budget", "Budget left", ["fraud", "descriptions"], [("left", [-50.0, 80.0])], unit="%")
    root = parse(str(budget.svg))
    ticks = [e.text for e in root.iter("{http://www.w3.org/2000/svg}text") if e.get("text-anchor") == "end"]
    assert ticks[0].startswith("-") and float(ticks[-1]) >= 80


def test_histogram_marks_the_threshold_and_splits_bins_above_it() -> None:
    bins = [Bin(lo, lo + 10, c) for lo, c in zip(range(0, 100, 10), [5, 9, 3, 0, 1, 0, 2, 4, 1, 0])]
    chart = histogram("scores", "Scores", bins, threshold=60, threshold_label="hold at 60")
    root = parse(str(chart.svg))
    line = [e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("data-threshold")]
    assert len(line) == 1 and line[0].get("data-threshold") == "60"
    bars = [e for e in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert len(bars) == 7  # empty bins draw nothing
    above = [b for b in bars if b.get("data-series") == "above"]
    assert len(above) == 3
    assert float(above[0].get("x")) >= float(line[0].get("x1")) - 0.01
    assert "7 at or above hold at 60" in chart.summary
    assert chart.rows[1] == ["10", "20", "9"]


def test_empty_chart_still_renders_with_a_text_alternative() -> None:
    chart = time_chart("none", "Nothing yet", [], start=T0, end=T0 + timedelta(days=7))
    assert chart.empty and "no data" in chart.summary
    parse(str(chart.svg))
    assert str(bar_chart("e", "Empty", [], []).svg).startswith("<svg")
