"""The overview page on a real database: history written through the audit writer and the job log, live state
from the gateway, charts with the expected series and their numbers, the state in words."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sovereign.features.fraud.jobs import schedule_rescore
from sovereign.features.operations import set_degraded
from sovereign_testkit.console_history import gateway_history, job_history, webhook_history

from tests.console.conftest import STORE, Console


async def seed(svc: Console) -> datetime:
    pool = svc.rt.db.pool
    end = datetime.now(timezone.utc)
    start = end - timedelta(days=8)
    await gateway_history(
        pool, ["fake", "cloud"], start, end, every_s=1800,
        outage=("cloud", end - timedelta(hours=6), end - timedelta(hours=5)),
        degraded=("fraud", end - timedelta(hours=2), None),
    )
    await job_history(pool, {"fraud": 300, "webhooks": 200}, start, end, pending=4)
    await webhook_history(pool, STORE, end - timedelta(hours=30), end, per_hour=20)
    return end


def chart(page: str, chart_id: str) -> str:
    m = re.search(rf'<figure class="chart" id="chart-{chart_id}".*?</figure>', page, re.S)
    assert m, f"no chart {chart_id}"
    return m.group(0)


def series(fig: str) -> set[str]:
    svg = fig.split("</svg>")[0]
    return set(re.findall(r'data-series="([^"]+)"', svg))


async def test_overview_charts_providers_queue_webhooks_and_budgets_from_the_database(svc: Console) -> None:
    end = await seed(svc)
    await svc.login()
    r = await svc.http.get("/console/")
    assert r.status_code == 303 and r.headers["location"] == "/console/overview"
    page = (await svc.http.get("/console/overview")).text
    assert "All AI features running on fake" in page

    avail = chart(page, "availability")
    assert series(avail) == {"fake", "cloud"}
    assert 'class="interval breaker"' in avail and "cloud breaker open" in avail
    assert 'class="interval degraded"' in avail and "fraud degraded (SLO)" in avail
    assert '<table class="compact">' in avail and 'role="img"' in avail
    assert series(chart(page, "latency")) == {"fake p50", "fake p95", "cloud p50", "cloud p95"}
    assert {"fraud", "webhooks"} <= series(chart(page, "queue-depth"))
    assert {"fraud p95", "webhooks p50"} <= series(chart(page, "job-latency"))
    hooks = chart(page, "webhooks")
    assert {"scheduled", "ignored"} <= series(hooks)
    budget = chart(page, "slo-budget")
    assert series(budget) == {"budget left"}
    for feature in ("fraud", "descriptions", "forecasts"):
        assert f"<td>{feature}</td>" in budget
    # a week's window starts a week back, the default one a day back
    def first_time(html: str) -> datetime:
        stamp = re.search(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d)</td>", chart(html, "availability")).group(1)
        return datetime.strptime(stamp, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)

    week = (await svc.http.get("/console/overview?window=7d")).text
    assert "last 7 days" in chart(week, "availability")
    assert end - first_time(week) >= timedelta(days=6, hours=22)
    assert timedelta(hours=23) <= end - first_time(page) <= timedelta(hours=24, minutes=16)
    # the live queue: the depth's last point is what is pending now
    depth_rows = re.findall(r"<tr><td>[^<]+</td><td>([\d,]+)</td><td>([\d,]+)</td></tr>", chart(page, "queue-depth"))
    assert depth_rows[-1] == ("4", "4")


async def test_state_in_words_names_the_degraded_feature_since_when_and_the_rescores_waiting(svc: Console) -> None:
    end = await seed(svc)
    set_degraded(svc.rt.gateway, "fraud", True, reason="drill", actor="test")
    for order_id in (101, 102, 103):
        await schedule_rescore(svc.rt.queue, STORE, order_id, 600)
    await svc.login()
    page = (await svc.http.get("/console/overview")).text
    since = (end - timedelta(hours=2)).strftime("%H:%M")
    m = re.search(r'<p id="state-words" class="state-words degraded" role="status">([^<]+)</p>', page)
    assert m, page[:2000]
    assert m.group(1) == f"Fraud review degraded since {since}: rules only; 3 re-scores waiting; reason: drill (test)."
