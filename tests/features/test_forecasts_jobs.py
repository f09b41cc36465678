"""Stock forecasts over the fake store's captured orders, on a real database: metas, rows, the daily
schedule, and the LLM narratives (capped by their job group, falling back to none)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Any, AsyncIterator

import pytest

from sovereign.domain.forecast import (
    META_FORECAST_MODEL,
    META_SERVICE_LEVEL,
    META_STOCK_NEEDED,
    META_STOCK_NEEDED_SERVICE,
    NarrativeItem,
)
from sovereign.features.forecasts.jobs import (
    NarrativeArgs,
    NarrativeRow,
    run_forecast,
    schedule_all,
    unsupported_numbers,
    write_narrative,
)
from sovereign.runtime import build_registry
from sovereign_testkit.fake_llm import FakeLLM, Step
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fixtures import load_json
from tests.features.conftest import STORE, eventually, gateway_for, running

AS_OF = date(2026, 11, 23)  # the captured orders were all placed on 2026-11-22 (UTC)
CAP = 22  # the only product that manages stock (25 units)
QUIET = (
    "Sales in this category were steady over the last month. Nothing needs urgent attention before month end, "
    "and the quiet products can wait for the next order."
)


def sold_products() -> dict[int, float]:
    """Units per product in the captured sales-status orders, computed from the raw fixture."""
    catalogue = {p["id"] for p in load_json("products.json")}
    units: dict[int, float] = defaultdict(float)
    for order in load_json("orders.json"):
        if order["status"] in ("processing", "completed", "on-hold"):
            for item in order["line_items"]:
                units[item["product_id"]] += item["quantity"]
    return {pid: q for pid, q in units.items() if pid in catalogue}


def meta(shop: FakeWooStore, product_id: int) -> dict[str, Any]:
    return {m["key"]: m["value"] for m in shop.product(product_id)["meta_data"]}


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply=QUIET) as fake:
        yield fake


@pytest.fixture
async def shop() -> AsyncIterator[FakeWooStore]:
    async with FakeWooStore(safe_ports="any") as store:  # Sovereign on a random port: the filter allows it
        yield store


async def test_forecast_writes_meta_for_products_with_sales_and_records_rows(
    db_url: str, llm: FakeLLM, shop: FakeWooStore
) -> None:
    async with running(db_url, gateway_for(llm), shop, worker=False) as svc:
        run = await run_forecast(svc.runtime, STORE, today=AS_OF)
    sold = sold_products()
    assert set(run.forecasts) == set(sold) and run.horizon_end == date(2026, 11, 30) and not run.write_errors
    for pid in shop.state.products:
        m = meta(shop, pid)
        if pid in sold:
            assert m[META_STOCK_NEEDED] == str(run.forecasts[pid].needed) and m[META_FORECAST_MODEL] == run.forecasts[pid].model
            assert m[META_STOCK_NEEDED_SERVICE] == str(run.forecasts[pid].needed_service)
            assert m[META_SERVICE_LEVEL] == "0.95"
        else:
            assert META_STOCK_NEEDED not in m and META_FORECAST_MODEL not in m and META_STOCK_NEEDED_SERVICE not in m
    # Cap manages stock: what it needs is the forecast demand to month end less the 25 on hand.
    cap = run.forecasts[CAP]
    assert cap.stock_quantity == 25
    assert cap.needed == max(0, math.ceil(cap.narrative.forecast_to_month_end - 25 - 1e-9))
    assert all(f.needed >= 0 and f.narrative.units_last_30_days == sold[pid] for pid, f in run.forecasts.items())
    # Stock for the 95 % service level is at least the stock for the mean, and more for a product that sells.
    assert all(f.needed_service >= f.needed and f.service_level == 0.95 for f in run.forecasts.values())
    assert cap.needed_service >= math.ceil(cap.forecast_total - 25 - 1e-9)
    assert any(f.needed_service > f.needed for f in run.forecasts.values())

    # One batch write, not one PUT per product; orders asked for with the sales statuses and the window.
    writes = [w for w in shop.writes if "products" in w.path]
    assert [(w.method, w.path.rsplit("/", 1)[-1]) for w in writes] == [("POST", "batch")]
    assert sorted(u["id"] for u in writes[0].body["update"]) == sorted(sold)
    orders = [r for r in shop.requests if r.path.endswith("/orders")]
    assert orders and all(r.query["status"] == "completed,on-hold,processing" for r in orders)
    assert orders[0].query["after"] == "2026-08-25T00:00:00" and orders[0].query["before"] == "2026-11-23T00:00:00"

    rows = {r["product_id"]: r for r in await _rows(db_url)}
    assert set(rows) == set(sold)
    assert all(rows[p]["needed"] == run.forecasts[p].needed and rows[p]["model"] == run.forecasts[p].model for p in sold)
    assert all(rows[p]["needed_service"] == run.forecasts[p].needed_service and rows[p]["service_level"] == 0.95 for p in sold)
    assert all(rows[p]["forecast_total"] == pytest.approx(run.forecasts[p].forecast_total) for p in sold)
    assert {r["horizon_end"] for r in rows.values()} == {date(2026, 11, 30)}


async def _rows(db_url: str) -> list[dict[str, Any]]:
    import asyncpg

    conn = await asyncpg.connect(db_url)
    try:
        return [dict(r) for r in await conn.fetch("SELECT * FROM sovereign_forecasts WHERE store_id = $1", STORE)]
    finally:
        await conn.close()


async def test_a_product_that_stopped_selling_is_brought_down_to_zero(
    db_url: str, llm: FakeLLM, shop: FakeWooStore
) -> None:
    async with running(db_url, gateway_for(llm), shop, worker=False) as svc:
        pool = svc.db.pool
        # Logo Collection (33) was forecast before and has not sold since; product 999 no longer exists.
        await pool.executemany(
            "INSERT INTO sovereign_forecasts (store_id, product_id, model, demand_class, needed, horizon_end) "
            "VALUES ($1, $2, 'AutoETS', 'smooth', 12, '2026-10-31')",
            [(STORE, 33), (STORE, 999)],
        )
        run = await run_forecast(svc.runtime, STORE, today=AS_OF)
        assert run.forecasts[33].model == "Zero" and run.forecasts[33].needed == 0
        assert (meta(shop, 33)[META_STOCK_NEEDED], meta(shop, 33)[META_FORECAST_MODEL]) == ("0", "Zero")
        ids = {r["product_id"] for r in await pool.fetch("SELECT product_id FROM sovereign_forecasts")}
        assert 33 in ids and 999 not in ids


async def test_daily_cron_schedules_one_run_per_store_and_day(db_url: str, llm: FakeLLM) -> None:
    cron = build_registry().crons["forecasts.daily"]
    assert (cron.expression, cron.job) == ("0 2 * * *", "forecasts.all")
    async with running(db_url, gateway_for(llm), None, worker=False) as svc:
        rt = svc.runtime
        await rt.stores.upsert("other", url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs", webhook_secret="s")
        await rt.stores.upsert(
            "paused", url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs", webhook_secret="s",
            settings={"forecasts_enabled": False},
        )
        first = await schedule_all(rt, day=AS_OF)
        assert sorted((s.dedupe_key, s.created) for s in first) == [
            ("forecast:other:2026-11-23", True), (f"forecast:{STORE}:2026-11-23", True)
        ]
        again = await schedule_all(rt, day=AS_OF)
        assert [s.created for s in again] == [False, False]
        nxt = await schedule_all(rt, day=date(2026, 11, 24))
        assert all(s.created for s in nxt)
        jobs = await svc.jobs("forecasts.run")
        assert len(jobs) == 4 and {j.group for j in jobs} == {"forecasts"}


async def test_narratives_run_at_most_two_at_once(db_url: str, llm: FakeLLM, shop: FakeWooStore) -> None:
    delay = 0.5
    llm.set_mode(Step("slow", delay=delay))
    settings = {"forecast_narratives": True}
    async with running(db_url, gateway_for(llm, total_s=5.0), shop, store_settings=settings) as svc:
        await svc.runtime.queue.schedule("forecasts.run", {"store": STORE, "as_of": AS_OF.isoformat()})
        categories = {c["name"] for p in shop.state.products.values() if p["id"] in sold_products() for c in p["categories"][:1]}

        async def narratives() -> list[Any]:
            rows = await svc.db.pool.fetch("SELECT * FROM sovereign_forecast_narratives WHERE store_id = $1", STORE)
            return rows if len(rows) == len(categories) else []

        rows = await eventually(narratives, timeout=30, what="every category's narrative")
    assert {r["category"] for r in rows} == categories and len(categories) >= 4
    assert all(r["status"] == "ok" and r["narrative"] == QUIET and r["as_of"] == AS_OF for r in rows)
    # Measured at the LLM: each call is in flight from its arrival for `delay` seconds.
    starts = sorted(r.at for r in llm.completions())
    assert len(starts) == len(categories)
    peak = max(sum(1 for s in starts if s <= t < s + delay) for t in starts)
    assert peak == 2, starts
    # The prompts hold aggregates only: no order, customer or address data.
    prompt = llm.completions()[0].json()["messages"][1]["content"]
    assert "<stock_data>" in prompt and "@" not in prompt and "billing" not in prompt


async def test_no_narrative_when_the_gateway_fails_or_the_model_invents_figures(
    db_url: str, llm: FakeLLM, shop: FakeWooStore
) -> None:
    row = NarrativeRow(
        product_id=CAP, name="Cap", sku="woo-cap", units_last_30_days=3.0, forecast_to_month_end=7.4,
        stock_quantity=25, stock_needed_month_end=0, model="CrostonSBA",
    )
    args = NarrativeArgs(store=STORE, as_of=AS_OF, category="Accessories", batch=0, rows=[row])
    async with running(db_url, gateway_for(llm), shop, worker=False) as svc:
        llm.set_mode("error", status=500)
        assert await write_narrative(svc.runtime, args) == "unavailable"
        llm.set_mode("fast", text="Cap sold 3 units and should reach about 7 by month end; order 40 more to be safe.")
        assert await write_narrative(svc.runtime, args.model_copy(update={"batch": 1})) == "invalid"
        llm.set_mode("fast", text="Cap sold 3 units and about 7.4 are expected by 30 November; the 25 in stock cover it.")
        assert await write_narrative(svc.runtime, args.model_copy(update={"batch": 2})) == "ok"
        rows = await svc.db.pool.fetch("SELECT * FROM sovereign_forecast_narratives ORDER BY batch")
    assert [(r["status"], r["narrative"] is None) for r in rows] == [("unavailable", True), ("invalid", True), ("ok", False)]
    assert rows[0]["reason"].startswith("gateway_") and rows[1]["reason"] == "invented_number:40"
    assert [list(r["product_ids"]) for r in rows] == [[CAP]] * 3


def test_narrative_number_check_allows_figures_roundings_and_dates() -> None:
    item = NarrativeItem("Cap 2000", "woo-cap", 3.0, 7.44, 25, 0, "CrostonSBA")
    ok = "Cap 2000 sold 3 units; about 7.4 (roughly 7 or 8) are expected to 2026-11-30; 25 in stock, 0 to order."
    assert unsupported_numbers(ok, [item], AS_OF) == []
    assert unsupported_numbers("Order 12 more and 1.5 extra.", [item], AS_OF) == ["12", "1.5"]
