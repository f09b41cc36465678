"""The console's home: the state in one sentence, then providers, queue, webhooks and SLO budgets as charts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request, Response

from sovereign.store.console_stats import ConsoleStats

from .accounts import Session
from .guard import PREFIX, ConsoleRoute, page_session
from .overview import WINDOWS, intervals, provider_charts, queue_charts, slo_chart, state_words, webhook_chart
from .pages_gateway import KNOWN_FEATURES
from .render import page
from sovereign.web.deps import RuntimeDep

router = APIRouter(route_class=ConsoleRoute)


@router.get(PREFIX + "/overview", include_in_schema=False)
async def overview(rt: RuntimeDep, request: Request, window: str = "24h", session: Session = Depends(page_session)) -> Response:
    w = WINDOWS.get(window, WINDOWS["24h"])
    end = datetime.now(timezone.utc)
    start = datetime.fromtimestamp((end - w.span).timestamp() // w.step_s * w.step_s, timezone.utc)  # whole buckets
    stats = ConsoleStats(rt.db.pool)
    # one pool, several connections: the reads run side by side
    buckets, marks, slo, flow, queue_now, job_latency, hooks = await asyncio.gather(
        stats.providers(start, end, w.step_s), stats.marks(start, end), stats.slo(start, end),
        stats.queue_flow(start, end, w.step_s), stats.queue_now(), stats.job_latency(start, end, w.step_s),
        stats.webhooks(start, end, w.step_s),
    )
    gateway = rt.gateway
    status = gateway.status()
    periods = intervals(marks, end)
    features = set(KNOWN_FEATURES) | set(status["features"]) | set(slo)
    words, normal = state_words(status, periods, queue_now, features)
    provider = provider_charts(buckets, periods, status["providers"], start, end, w.step_s, w.label)
    queue = queue_charts(flow, queue_now, job_latency, start, end, w.step_s, w.label)
    return await page(
        request, session, "overview.html", section="overview", words=words, normal=normal, window=w,
        windows=WINDOWS, provider_charts=provider, queue_charts=queue,
        webhook_chart=webhook_chart(hooks, start, end, w.step_s, w.label),
        slo_chart=slo_chart(slo, features, gateway.settings.degraded.slo, w.label),
        marked=sum(len(p) for p in periods.values()),
    )
