"""The fraud and description pages' charts, from ``store.console_insights`` rows. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

from .charts import Bin, Chart, Series, bar_chart, histogram, time_chart

__all__ = ["draft_charts", "fraud_charts", "refusal_reasons"]


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def fraud_charts(holds: Sequence[Mapping[str, Any]], bins: Mapping[int, int], releases: Sequence[Mapping[str, Any]],
                 *, today: date, days: int, weeks: int, threshold: int, width: int = 5) -> list[Chart]:
    by_day = {_day(r["day"]): r for r in holds}
    span = _days(today - timedelta(days=days - 1), today)
    held = bar_chart(
        "holds", f"Orders put on hold per day, last {days} days", [d.strftime("%b %d") for d in span],
        [("held", [float(by_day[d]["held"]) if d in by_day else 0.0 for d in span])], unit="orders", digits=0,
    )
    scores = histogram(
        "scores", f"Fraud score of each order scored in the last {days} days (latest score)",
        [Bin(b * width, (b + 1) * width, bins.get(b, 0)) for b in range(100 // width)],
        threshold=threshold, threshold_label=f"hold at {threshold}", x_label="score",
    )
    monday = today - timedelta(days=today.weekday())
    week_starts = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    by_week = {_day(r["week"]): r for r in releases}
    rate = []
    for w in week_starts:
        r = by_week.get(w)
        rate.append(round(100.0 * r["released"] / r["held"], 1) if r and r["held"] else 0.0)
    release = bar_chart(
        "releases", f"Held orders released by review, per week held (a proxy for false positives), last {weeks} weeks",
        [w.strftime("wk %b %d") for w in week_starts], [("released", rate)], unit="%", digits=1, y_max=100.0,
        summary=_release_summary(week_starts, by_week),
    )
    release.columns.extend(["held", "released", "kept"])
    for row, w in zip(release.rows, week_starts):
        r = by_week.get(w) or {"held": 0, "released": 0, "kept": 0}
        row.extend([str(r["held"]), str(r["released"]), str(r["kept"])])
    return [held, scores, release]


def _release_summary(weeks: Sequence[date], by_week: Mapping[date, Mapping[str, Any]]) -> str:
    held = sum(by_week[w]["held"] for w in weeks if w in by_week)
    released = sum(by_week[w]["released"] for w in weeks if w in by_week)
    if not held:
        return "No order was held in these weeks."
    return (f"{held} order(s) held over {len(weeks)} weeks, {released} released by a reviewer "
            f"({100.0 * released / held:.1f}%).")


def refusal_reasons(reasons: Mapping[str, int]) -> Counter[str]:
    """Why drafts fell back to the template: each validator problem counted once per draft; gateway errors."""
    out: Counter[str] = Counter()
    for text, n in reasons.items():
        if text.startswith("invalid:"):
            for problem in {p.strip().split(":")[0].split(" ")[0] for p in text[len("invalid:"):].split(",")}:
                if problem:
                    out[problem] += n
        elif text.startswith("gateway_"):
            out[f"gateway: {text[len('gateway_'):]}"] += n
        else:
            out[text] += n
    return out


def draft_charts(per_day: Sequence[Mapping[str, Any]], reasons: Mapping[str, int],
                 calls: Sequence[Mapping[str, Any]], *, today: date, days: int) -> list[Chart]:
    span = _days(today - timedelta(days=days - 1), today)
    by_day = {_day(r["day"]): r for r in per_day}
    rate = bar_chart(
        "draft-rate", f"Drafts written by a model (rest: template), per day, last {days} days",
        [d.strftime("%b %d") for d in span],
        [("by a model", [float(by_day[d]["by_model"]) if d in by_day else 0.0 for d in span]),
         ("template", [float(by_day[d]["drafts"] - by_day[d]["by_model"]) if d in by_day else 0.0 for d in span])],
        unit="drafts", digits=0,
    )
    counted = sorted(refusal_reasons(reasons).items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    refusals = bar_chart(
        "refusals", f"Why drafts fell back to the template (validator refusals, gateway errors), last {days} days",
        [name for name, _ in counted], [("drafts", [float(n) for _, n in counted])], unit="drafts", digits=0,
    )
    lat: dict[str, dict[date, float | None]] = defaultdict(dict)
    for r in calls:
        lat[r["model"]][_day(r["day"])] = r["p50"]
    start = datetime.combine(span[0], datetime.min.time(), timezone.utc)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), timezone.utc)
    series = [
        Series(model, [(datetime.combine(d, datetime.min.time(), timezone.utc) + timedelta(hours=12), v.get(d))
                       for d in span])
        for model, v in sorted(lat.items())
    ]
    latency = time_chart("draft-latency", f"Model latency p50 per day (descriptions), last {days} days", series,
                         start=start, end=end, unit="ms", digits=0)
    return [rate, refusals, latency]
