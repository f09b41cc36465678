"""Forecasts: products that run out before month end (fewest days left first), and each product's charts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from sovereign.store.forecast_series import ForecastSeriesRepository

from .accounts import Session
from .forecast_view import SERVICE_LEVEL, product_charts, run_outs
from .guard import PREFIX, ConsoleRoute, page_session
from .render import page
from sovereign.web.deps import RuntimeDep

router = APIRouter(route_class=ConsoleRoute)

SHOWN = 6  # products charted when none is picked: the most urgent ones


@router.get(PREFIX + "/forecasts", include_in_schema=False)
async def forecasts(rt: RuntimeDep, request: Request, product: str | None = None, session: Session = Depends(page_session)) -> Response:
    items = await ForecastSeriesRepository(rt.db.pool).list()
    short = run_outs(items)
    picked = [s for s in items if product and f"{s.store_id}:{s.product_id}" == product]
    if picked:
        shown = picked
    else:
        urgent = [r.series for r in short[:SHOWN]]
        shown = urgent + [s for s in items if s not in urgent][: max(0, SHOWN - len(urgent))]
    charts = [(s, product_charts(s)) for s in shown]
    return await page(request, session, "forecasts.html", section="forecasts", short=short, items=items,
                      charts=charts, level=SERVICE_LEVEL, product=product or "")
