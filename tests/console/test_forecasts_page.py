"""The forecasts page after a real forecast run over 90 days of orders in the fake store: run-outs sorted by
days left, per product the sales, the forecast with its band, demand against stock on hand."""

from __future__ import annotations

import re
from datetime import date

from sovereign.features.forecasts.jobs import run_forecast
from sovereign.store.forecast_series import ForecastSeriesRepository
from sovereign_testkit.console_history import SALES, sales_history

from tests.console.conftest import STORE, Console
from tests.console.test_overview import chart, series

TODAY = date(2026, 3, 10)  # any day: the history is written relative to it


async def test_forecast_charts_and_run_outs_sorted_by_days_left(svc: Console) -> None:
    sales_history(svc.woo.state, TODAY)
    run = await run_forecast(svc.rt, STORE, today=TODAY)
    assert set(SALES) <= set(run.forecasts)
    stored = {s.product_id: s for s in await ForecastSeriesRepository(svc.rt.db.pool).list(STORE)}
    assert len(stored[30].history) == 90 and len(stored[30].forecast) == 22  # 10 to 31 March
    assert stored[24].stock_quantity == 9 and stored[24].needed == run.forecasts[24].needed
    # the forecaster's own figure at the service level is kept beside the mean, for the console
    f24 = run.forecasts[24]
    assert stored[24].needed_service == f24.needed_service and stored[24].service_level == f24.service_level == 0.95
    assert stored[24].demand_at_service >= sum(stored[24].forecast) - 1e-9
    assert f24.needed_service >= f24.needed

    await svc.login()
    page = (await svc.http.get("/console/forecasts")).text
    table = page[page.index('id="run-outs"'):page.index("</table>", page.index('id="run-outs"'))]
    rows = re.findall(r'<tr data-product="(\d+)">.*?<td class="[^"]*">([\d.,]+)</td>', table, re.S)
    ids = [int(p) for p, _ in rows]
    left = [float(d) for _, d in rows]
    assert 24 in ids and 30 in ids and 19 not in ids  # the intermittent T-shirt is covered
    assert left == sorted(left) and ids[0] == 24

    daily = chart(page, f"sales-{STORE}-24")
    assert series(daily) == {"sold", "forecast", "95% band"}
    assert 'class="marker"' in daily and "today" in daily
    demand = chart(page, f"demand-{STORE}-24")
    assert {"demand so far", "95% band"} == series(demand)
    assert "on hand 9" in demand
    assert f"{f24.needed_service:g} to cover {stored[24].demand_at_service:.1f} at 95%" in demand
    row24 = table[table.index('data-product="24"'):]
    row24 = row24[:row24.index("</tr>")]
    assert f"<td>{stored[24].demand_at_service:.1f}</td>" in row24  # "at service level": the forecaster's figure
    assert demand.count("<tr><td>2026-0") == 22  # the demand at the end of each day, 10 March to 31 March

    one = (await svc.http.get(f"/console/forecasts?product={STORE}:19")).text
    assert f'id="chart-sales-{STORE}-19"' in one and f'id="chart-sales-{STORE}-24"' not in one
