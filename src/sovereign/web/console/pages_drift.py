"""Model drift: is each model still earning its place? This week against the week before."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Request, Response

from sovereign.features.drift import DriftThresholds
from sovereign.store.console_drift import DriftRows

from .accounts import Session
from .drift_view import Week, calls_table, figures
from .guard import PREFIX, ConsoleRoute, page_session
from .render import page
from sovereign.web.deps import RuntimeDep

router = APIRouter(route_class=ConsoleRoute)

WEEK = timedelta(days=7)


async def _week(rows: DriftRows, since: datetime, until: datetime) -> Week:
    return Week(await rows.calls(since, until), await rows.drafts(since, until), await rows.reviews(since, until))


@router.get(PREFIX + "/drift", include_in_schema=False)
async def drift(rt: RuntimeDep, request: Request, session: Session = Depends(page_session)) -> Response:
    rows = DriftRows(rt.db.pool)
    now = datetime.now(timezone.utc)
    this, last = await _week(rows, now - WEEK, now), await _week(rows, now - 2 * WEEK, now - WEEK)
    t = DriftThresholds()
    return await page(request, session, "drift.html", section="drift", figures=figures(this, last, t),
                      models=calls_table(this, last, t), thresholds=t)
