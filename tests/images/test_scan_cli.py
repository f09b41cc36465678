"""`sovereign images scan` over the whole catalogue of the fake store, then `images findings`; and --queue."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import pytest
from typer.testing import CliRunner

from sovereign.cli import app
from sovereign.runtime import open_runtime
from sovereign.settings import Settings, get_settings
from sovereign.store.images import ImageRepository
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.images import blurred, jpeg, photo

STORE = "shop"


@pytest.fixture
async def shop(db_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeWooStore]:
    monkeypatch.setenv("SOVEREIGN_DATABASE_URL", db_url)
    monkeypatch.setenv("SOVEREIGN_EMBEDDED_MODEL", "none")
    get_settings.cache_clear()
    async with FakeWooStore() as store:
        same = photo(40)
        store.state.update_product(19, {"images": [{"src": store.media.add("a.jpg", jpeg(same)), "alt": "T-Shirt"}]})
        store.state.update_product(26, {"images": [{"src": store.media.add("b.jpg", jpeg(same.resize((820, 820))))}]})
        store.state.update_product(23, {"images": [{"src": store.media.add("c.jpg", jpeg(blurred(photo(41))))}]})
        rt = await open_runtime(Settings(database_url=db_url, embedded_model="none"))
        await rt.stores.upsert(STORE, url=store.url, consumer_key=store.consumer_key,
                               consumer_secret=store.consumer_secret, webhook_secret="s", settings={})
        await rt.close()
        yield store
    get_settings.cache_clear()


async def test_scan_checks_every_product_and_reports_findings(db_url: str, shop: FakeWooStore) -> None:
    cli = CliRunner()
    result = await asyncio.to_thread(cli.invoke, app, ["images", "scan", STORE])
    products = len(shop.state.products)
    assert result.exit_code == 0, result.output
    assert f"{products} products: {products} checked, 0 unchanged or skipped, 0 failed" in result.output
    assert "floor_only" in result.output  # no vision provider: said once, plainly
    assert "blurry" in result.output and "duplicate" in result.output and "missing_alt" in result.output

    again = await asyncio.to_thread(cli.invoke, app, ["images", "scan", STORE])
    assert f"0 checked, {products} unchanged or skipped" in again.output  # nothing changed: nothing fetched again
    assert shop.media.hits["c.jpg"] == 1

    table = await asyncio.to_thread(cli.invoke, app, ["images", "findings", STORE])
    assert "blurry" in table.output and "23" in table.output

    queued = await asyncio.to_thread(cli.invoke, app, ["images", "scan", STORE, "--queue", "--force"])
    assert queued.exit_code == 0 and f"queued {products} image checks" in queued.output
    rt = await open_runtime(Settings(database_url=db_url, embedded_model="none"))
    try:
        jobs = await rt.inspector.list(None, name="images.check", limit=1000)
        assert len(jobs) == products and all(j.args["force"] for j in jobs)
        rows = await ImageRepository(rt.db.pool).list_products(STORE, with_findings=True)
        assert {r.product_id for r in rows} >= {19, 23, 26}
    finally:
        await rt.close()


async def test_scan_of_an_unknown_store_says_so(db_url: str, shop: FakeWooStore) -> None:
    result = await asyncio.to_thread(CliRunner().invoke, app, ["images", "scan", "nope"])
    assert result.exit_code == 1 and "not connected" in result.output
