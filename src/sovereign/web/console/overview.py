"""The overview's pictures and its one sentence, from the aggregates ``store.console_stats`` reads. Pure.

* ``intervals``: breaker-open, degraded and forced-degraded periods from audit marks.
* ``provider_charts``: availability and latency p50/p95 per provider, marks shaded behind.
* ``queue_charts``: queue depth and job latency per group; ``webhook_chart``; ``slo_chart``.
* ``state_words``: "All AI features running on local" or "Fraud review degraded since 14:02: ...".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

from sovereign.store.console_stats import Mark, ProviderBucket

from .charts import Chart, Interval, Series, bar_chart, time_chart

__all__ = ["WINDOWS", "Window", "intervals", "provider_charts", "queue_charts", "slo_chart", "state_words",
           "webhook_chart"]


@dataclass(frozen=True, slots=True)
class Window:
    key: str
    label: str
    span: timedelta
    step_s: int  # chart bucket


WINDOWS = {
    "24h": Window("24h", "last 24 hours", timedelta(hours=24), 15 * 60),
    "7d": Window("7d", "last 7 days", timedelta(days=7), 2 * 3600),
}

# What a degraded feature does instead of asking a model.
FALLBACK = {
    "fraud": ("Fraud review", "rules only"),
    "descriptions": ("Descriptions", "template drafts"),
    "forecasts": ("Forecasts", "numbers without narrative"),
    "support": ("Support answers", "policy passages only"),
    "policies": ("Policy answers", "passages only"),
}


def _bucket_times(start: datetime, end: datetime, step_s: int) -> list[datetime]:
    first = int(start.timestamp()) // step_s * step_s
    out, t = [], first
    while t < end.timestamp():
        out.append(datetime.fromtimestamp(t, timezone.utc))
        t += step_s
    return out


def intervals(marks: Sequence[Mark], until: datetime) -> dict[str, list[Interval]]:
    """{"provider:NAME" | "feature:NAME": periods}; marks are oldest first and may start before the window."""
    out: dict[str, list[Interval]] = defaultdict(list)
    open_at: dict[tuple[str, str], datetime] = {}

    def begin(key: tuple[str, str], at: datetime) -> None:
        open_at.setdefault(key, at)

    def finish(key: tuple[str, str], at: datetime, label: str, kind: str) -> None:
        started = open_at.pop(key, None)
        if started is not None:
            out[key[0]].append(Interval(started, at, label, kind))

    labels = {}
    for m in marks:
        if m.kind == "breaker":
            key = (f"provider:{m.provider}", "breaker")
            labels[key] = (f"{m.provider} breaker open", "breaker")
            if m.detail.get("state") == "closed":
                finish(key, m.at, *labels[key])
            elif m.detail.get("state") == "open":
                begin(key, m.at)
        elif m.kind in ("degraded_entered", "degraded_left"):
            key = (f"feature:{m.feature}", "degraded")
            labels[key] = (f"{m.feature} degraded (SLO)", "degraded")
            if m.kind == "degraded_entered":
                begin(key, m.at)
            else:
                finish(key, m.at, *labels[key])
        elif m.kind == "override" and m.detail.get("name") == "force_degraded":
            key = (f"feature:{m.feature}", "forced")
            labels[key] = (f"{m.feature} forced degraded", "forced")
            if m.detail.get("value"):
                begin(key, m.at)
            else:
                finish(key, m.at, *labels[key])
    for key, started in open_at.items():
        label, kind = labels[key]
        out[key[0]].append(Interval(started, None, label, kind))
    for periods in out.values():
        periods.sort(key=lambda i: i.start)
    return dict(out)


def _clip(periods: Iterable[Interval], start: datetime) -> list[Interval]:
    return [Interval(max(i.start, start), i.end, i.label, i.kind) for i in periods if i.end is None or i.end > start]


def provider_charts(buckets: Sequence[ProviderBucket], marks: Mapping[str, list[Interval]], names: Iterable[str],
                    start: datetime, end: datetime, step_s: int, label: str) -> list[Chart]:
    by: dict[str, dict[datetime, ProviderBucket]] = defaultdict(dict)
    for b in buckets:
        by[b.provider][b.at] = b
    providers = sorted(set(names) | set(by))
    times = _bucket_times(start, end, step_s)
    shaded: list[Interval] = []
    for key, periods in marks.items():
        shaded.extend(_clip(periods, start))
    avail, latency = [], []
    for i, name in enumerate(providers):
        rows = by.get(name, {})
        avail.append(Series(name, [(t, None if t not in rows else 100.0 * rows[t].ok / rows[t].calls) for t in times],
                            color=i))
        latency.append(Series(f"{name} p50", [(t, rows[t].p50_ms if t in rows else None) for t in times], color=i))
        latency.append(Series(f"{name} p95", [(t, rows[t].p95_ms if t in rows else None) for t in times],
                              style="dashed", color=i))
    return [
        time_chart("availability", f"Provider availability, {label}", avail, start=start, end=end, unit="%",
                   intervals=shaded, y_max=100.0),
        time_chart("latency", f"Provider latency p50 / p95 (answered calls), {label}", latency, start=start, end=end,
                   unit="ms", intervals=shaded, digits=0),
    ]


def queue_charts(flow: Sequence[Mapping[str, Any]], now: Mapping[str, Mapping[str, int]],
                 latency: Sequence[Mapping[str, Any]], start: datetime, end: datetime, step_s: int,
                 label: str) -> list[Chart]:
    """Depth per group, walked back from the live count through the logged arrivals and pick-ups."""
    times = _bucket_times(start, end, step_s)
    net: dict[str, dict[datetime, int]] = defaultdict(dict)
    for r in flow:
        net[r["grp"]][r["bucket"]] = int(r["came"]) - int(r["went"])
    groups = sorted(set(net) | {g for g, c in now.items() if c["pending"]})
    depth = []
    for i, g in enumerate(groups):
        level = float(now.get(g, {}).get("pending", 0))
        points: list[tuple[datetime, float | None]] = []
        for t in reversed(times):  # the depth at the end of bucket t, then undo t's net change
            points.append((t, max(level, 0.0)))
            level -= net[g].get(t, 0)
        depth.append(Series(g, list(reversed(points)), color=i))
    lat: dict[str, dict[datetime, Mapping[str, Any]]] = defaultdict(dict)
    for r in latency:
        lat[r["grp"]][r["bucket"]] = r
    lat_groups = sorted(set(lat) | set(groups))
    colors = {g: i for i, g in enumerate(lat_groups)}
    lines = []
    for g in lat_groups:
        rows = lat.get(g, {})
        lines.append(Series(f"{g} p50", [(t, rows[t]["p50"] if t in rows else None) for t in times], color=colors[g]))
        lines.append(Series(f"{g} p95", [(t, rows[t]["p95"] if t in rows else None) for t in times], style="dashed",
                            color=colors[g]))
    return [
        time_chart("queue-depth", f"Queue depth (pending jobs) per group, {label}", depth, start=start, end=end,
                   unit="jobs", digits=0),
        time_chart("job-latency", f"Job latency, queued to done, per group, {label}", lines, start=start, end=end,
                   unit="s"),
    ]


def webhook_chart(rows: Sequence[Mapping[str, Any]], start: datetime, end: datetime, step_s: int,
                  label: str) -> Chart:
    times = _bucket_times(start, end, step_s)
    outcomes = sorted({r["outcome"] for r in rows}) or ["scheduled"]
    counts = {(r["bucket"], r["outcome"]): int(r["n"]) for r in rows}
    minutes = step_s / 60
    fmt = "%H:%M" if step_s < 86400 / 4 and end - start <= timedelta(days=1) else "%b %d %H:%M"
    return bar_chart(
        "webhooks", f"Webhook deliveries per minute by result, {label}", [t.strftime(fmt) for t in times],
        [(o, [round(counts.get((t, o), 0) / minutes, 3) for t in times]) for o in outcomes],
        unit="/min", digits=2,
    )


def slo_chart(slo: Mapping[str, tuple[int, int]], features: Iterable[str], target: float, label: str) -> Chart:
    """Error budget left per feature: 100% with no failed call, 0% when failures reached (1 - SLO) of calls."""
    names = sorted(set(features) | set(slo))
    left = []
    for name in names:
        calls, bad = slo.get(name, (0, 0))
        allowed = (1.0 - target) * calls
        left.append(100.0 if calls == 0 else round(100.0 * (1.0 - bad / allowed), 1) if allowed > 0 else 0.0)
    return bar_chart(
        "slo-budget", f"SLO error budget left per feature ({target:.2%} of calls ok), {label}", names,
        [("budget left", left)], unit="%", digits=1, y_max=100.0,
    )


def state_words(status: Mapping[str, Any], periods: Mapping[str, list[Interval]], queue_now: Mapping[str, Mapping[str, int]],
                features: Iterable[str]) -> tuple[str, bool]:
    """One sentence for the top of the page, and whether everything is normal."""
    rescores = sum(c.get("rescores", 0) for c in queue_now.values())
    forced = status["overrides"]["force_degraded"]
    seen = status["features"]
    bad = []
    for name in sorted(set(features) | set(seen) | {f for f in forced if f != "*"}):
        live = seen.get(name, {})
        if not (live.get("degraded") or name in forced or "*" in forced):
            continue
        title, fallback = FALLBACK.get(name, (name.capitalize(), "without AI"))
        open_periods = [p for p in periods.get(f"feature:{name}", []) + periods.get("feature:*", []) if p.end is None]
        since = min((p.start for p in open_periods), default=None)
        when = f" since {since.astimezone(timezone.utc).strftime('%H:%M')}" if since else ""
        why = forced.get(name) or forced.get("*") or live.get("reason") or ""
        extra = f"; {rescores} re-score{'s' if rescores != 1 else ''} waiting" if name == "fraud" else ""
        bad.append(f"{title} degraded{when}: {fallback}{extra}" + (f"; reason: {why}" if why else ""))
    if bad:
        return ". ".join(bad) + ".", False
    providers = status["providers"]
    if not providers:
        return "No AI provider is configured: every feature runs on its rules.", False
    forced_provider = status["overrides"].get("force_provider")
    closed = [n for n, h in providers.items() if h.get("breaker") == "closed"]  # in routing order
    if forced_provider:
        return f"All AI features running on {forced_provider} (forced by an operator).", True
    if not closed:
        return "Every provider's breaker is open: AI features are falling back to their rules.", False
    others = sorted(set(providers) - set(closed))
    tail = f"; breaker open for {', '.join(others)}" if others else ""
    return f"All AI features running on {closed[0]}{tail}.", not others
