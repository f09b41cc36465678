"""A store's life against the WooCommerce-shaped store, with the real service and database: the round
trip proven (or diagnosed), TLS trusted per store, one webhook URL, settings from the store, a first
backfill, and disconnecting."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
import trustme

from sovereign.domain.descriptions import facts, validate
from sovereign.domain.products import Product
from sovereign.features.storesync.connect import ConnectError, connect_store, delivery_url
from sovereign.features.descriptions.jobs import DescriptionSettings
from sovereign.features.storesync import lifecycle, roundtrip, webhooks
from sovereign.features.storesync.backfill import backfill_store
from sovereign.runtime import _warn_insecure_stores
from sovereign.store.webhook_receipts import WebhookReceipts
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fake_woo_wp import REFUSED
from tests.web.conftest import Service
from tests.web.test_connect_reconcile import _run_job

GOOD_EURO = (
    "A warm, soft hoodie that is easy to wear and easy to like, with a price in € that makes it a thoughtful "
    "gift for anyone who likes to stay comfortable."
)


async def _connect(service: Service, woo: FakeWooStore, public_url: str | None = None, **kw: object):  # noqa: ANN202
    return await connect_store(service.runtime.stores, url=woo.url, consumer_key=woo.consumer_key,
                               consumer_secret=woo.consumer_secret, public_url=public_url or service.url,
                               store_id="shop", **kw)


def _ours(woo: FakeWooStore) -> list:
    return [h for h in woo.hooks.hooks.values() if webhooks.is_ours(h.api(), "shop")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_round_trip_is_proven_by_the_pings_the_service_recorded(service: Service) -> None:
    async with FakeWooStore(safe_ports="any") as woo:  # the store owner allowed Sovereign's port
        res = await _connect(service, woo)
        trip = await roundtrip.wait_for_receipts(WebhookReceipts(service.runtime.db.pool), "shop", res.webhook_ids,
                                                 res.since, timeout_s=10)
        assert trip.ok and set(trip.received) == set(res.webhook_ids)
        assert {r.kind for r in trip.received.values()} == {"ping"}
        await woo.deliver("order.updated", 85)  # a signed delivery is recorded too
        receipts = await WebhookReceipts(service.runtime.db.pool).all("shop")
        hook = woo.hooks.matching("order.updated")[0]
        assert receipts[hook.id].kind == "delivery" and receipts[hook.id].count == 2
        await woo.deliver("order.updated", 85)  # more deliveries within seconds: not one write each
        assert (await WebhookReceipts(service.runtime.db.pool).all("shop"))[hook.id].count == 2


async def test_a_stock_wordpress_never_delivers_to_a_random_port_and_the_diagnosis_names_the_rule(service: Service) -> None:
    async with FakeWooStore() as woo:  # stock WordPress rules
        res = await _connect(service, woo)
        assert [d.error for d in woo.deliveries if d.topic == "ping"] == [REFUSED] * 4
        trip = await roundtrip.wait_for_receipts(WebhookReceipts(service.runtime.db.pool), "shop", res.webhook_ids,
                                                 res.since, timeout_s=1.0, poll_s=0.2)
        assert not trip.ok and trip.missing == sorted(res.webhook_ids)
        diagnosis = " ".join(await roundtrip.diagnose(service.url, woo.url, got_some=False))
        assert "ports 80, 443 and 8080" in diagnosis and "http_allowed_safe_ports" in diagnosis
        assert "not running" not in diagnosis  # the service does answer


async def test_the_diagnosis_says_when_the_service_is_not_running(service: Service) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    async with FakeWooStore(safe_ports="any") as woo:
        await _connect(service, woo, public_url=dead)
        diagnosis = " ".join(await roundtrip.diagnose(dead, woo.url, got_some=False))
        assert "not running" in diagnosis and "sovereign serve" in diagnosis
    private = " ".join(await roundtrip.diagnose("http://192.168.1.20", "https://shop.example", got_some=False))
    assert "http_request_host_is_external" in private


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    for i, pem in enumerate(cert.cert_chain_pems):
        pem.write_to_path(str(folder / "cert.pem"), append=i > 0)
    return {"ca": str(folder / "ca.pem"), "cert": str(folder / "cert.pem"), "key": str(folder / "key.pem")}


async def test_a_self_signed_store_connects_with_its_ca_and_fails_naming_the_certificate_without(
    service: Service, pki: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    rt = service.runtime
    async with FakeWooStore(ssl_certfile=pki["cert"], ssl_keyfile=pki["key"], safe_ports="any") as woo:
        with pytest.raises(ConnectError) as err:
            await _connect(service, woo)
        assert "certificate verify failed" in str(err.value) and "--ca-file" in str(err.value)
        assert await rt.stores.get("shop") is None  # nothing saved
        res = await _connect(service, woo, ca_file=pki["ca"])
        assert len(res.webhook_ids) == 4
        store = await rt.stores.get("shop")
        assert store.ca_file == str(Path(pki["ca"]).resolve()) and not store.insecure_tls
        await _run_job(service, "reconcile.store", {"store": "shop"})  # the service's own client trusts it too
        assert (await rt.stores.get("shop")).last_sync_at is not None
        await _connect(service, woo, insecure_tls=True)
        assert await rt.stores.insecure() == ["shop"]
        with caplog.at_level(logging.WARNING, logger="sovereign.runtime"):
            await _warn_insecure_stores(rt)
        assert "store shop: TLS certificate checks are OFF" in caplog.text


async def test_remove_leaves_none_of_our_webhooks_and_keeps_or_erases_history(service: Service) -> None:
    rt = service.runtime
    async with FakeWooStore(safe_ports="any") as woo:
        await _connect(service, woo)
        foreign = woo.add_webhook("order.created", "https://erp.example/hook", "theirs", name="ERP sync")
        await woo.deliver("order.updated", 85)
        out = await lifecycle.remove(rt, "shop")
        assert len(out.webhooks_deleted) == 4 and out.store_error is None
        assert _ours(woo) == [] and list(woo.hooks.hooks) == [foreign.id]  # theirs stays
        assert await rt.stores.get("shop") is None and [s.id for s in await rt.stores.list()] == ["fixture"]
        kept = await rt.db.pool.fetchrow("SELECT consumer_secret, webhook_secret, removed_at FROM sovereign_stores WHERE id = 'shop'")
        assert kept["consumer_secret"] == "" and kept["webhook_secret"] == "" and kept["removed_at"] is not None
        assert await rt.db.pool.fetchval("SELECT count(*) FROM sovereign_webhook_events WHERE store_id = 'shop'") >= 1
        await _connect(service, woo)  # connecting again brings it back
        assert len(_ours(woo)) == 4
        await lifecycle.remove(rt, "shop", erase_history=True)
        assert _ours(woo) == []
        assert await rt.db.pool.fetchval("SELECT count(*) FROM sovereign_stores") == 1  # only the fixture store
        assert await rt.db.pool.fetchval("SELECT count(*) FROM sovereign_webhook_events WHERE store_id = 'shop'") == 0


async def test_a_changed_public_url_moves_the_webhooks_without_duplicates(service: Service) -> None:
    rt = service.runtime
    async with FakeWooStore(safe_ports="any") as woo:
        await _connect(service, woo)
        old = delivery_url(service.url, "shop")
        woo.add_webhook("order.created", old, "stale", name="Sovereign order.created")  # a duplicate of ours
        woo.add_webhook("product.updated", "https://old-proxy.example/webhooks/woocommerce/shop", "stale",
                        name="Sovereign product.updated")  # ours, from an older public URL
        new_url = "https://sovereign.example"
        rep = await lifecycle.set_url(rt, "shop", new_url)
        target = delivery_url(new_url, "shop")
        hooks = _ours(woo)
        assert sorted(h.topic for h in hooks) == sorted(webhooks.TOPICS)
        assert all(h.delivery_url == target and h.status == "active" for h in hooks)
        assert len(rep.removed) == 2 and len(rep.moved) == 4 and rep.created == []
        store = await rt.stores.get("shop")
        assert store.webhook_url == new_url and sorted(store.webhook_ids) == sorted(h.id for h in hooks)
        # The service's own URL differs from the record: reconciliation keeps the record's, no second set.
        rt.settings.public_url = service.url
        await _run_job(service, "reconcile.store", {"store": "shop"})
        assert sorted(h.id for h in _ours(woo)) == sorted(h.id for h in hooks)
        assert all(h.delivery_url == target for h in _ours(woo))


async def test_currency_units_timezone_and_language_come_from_the_store(service: Service) -> None:
    rt = service.runtime
    values = {"general": {"woocommerce_currency": "EUR", "woocommerce_currency_pos": "right_space",
                          "woocommerce_price_num_decimals": "0", "woocommerce_price_decimal_sep": ","},
              "products": {"woocommerce_weight_unit": "lbs", "woocommerce_dimension_unit": "in"}}
    async with FakeWooStore(settings=values, timezone="Europe/Berlin", language="de_DE", safe_ports="any") as woo:
        await _connect(service, woo, settings={"tone": "warm"})
        s = (await rt.stores.get("shop")).settings
        assert s["currency"] == "EUR" and s["currency_symbol"] == "€" and s["currency_position"] == "right_space"
        assert s["price_decimals"] == 0 and s["decimal_separator"] == ","
        assert s["weight_unit"] == "lbs" and s["dimension_unit"] == "in"
        assert s["timezone"] == "Europe/Berlin" and s["language"] == "de_DE" and s["tone"] == "warm"
        # Descriptions use the store's currency: a € is the store's own, not invented.
        hoodie = Product.from_rest(woo.product(16), currency=DescriptionSettings.of(s).currency)
        assert "invented_currency:€" not in validate(GOOD_EURO, facts(hoodie)).problems
        usd = Product.from_rest(woo.product(16), currency="USD")
        assert "invented_currency:€" in validate(GOOD_EURO, facts(usd)).problems
        # The store changes its currency: reconciliation refreshes it; an operator override still wins.
        woo.settings_values["general"]["woocommerce_currency"] = "GBP"
        woo.settings_values["products"]["woocommerce_weight_unit"] = "kg"
        await _run_job(service, "reconcile.store", {"store": "shop"})
        s = (await rt.stores.get("shop")).settings
        assert s["currency"] == "GBP" and s["currency_symbol"] == "£" and s["weight_unit"] == "kg"
        await _connect(service, woo, settings={"currency": "CHF"})
        assert (await rt.stores.get("shop")).settings["currency"] == "CHF"


async def test_backfill_takes_in_open_orders_and_undescribed_products_however_old(service: Service) -> None:
    rt = service.runtime
    async with FakeWooStore(safe_ports="any") as woo:  # captured dates: months before any test day
        await _connect(service, woo)
        ticks: list[tuple[str, int, int | None]] = []
        res = await backfill_store(rt, await rt.stores.get("shop"), lambda *t: ticks.append(t))
        open_orders = {o["id"] for o in woo.state.orders.values() if o["status"] in ("pending", "processing", "on-hold")}
        assert {j.args["order_id"] for j in await service.jobs("fraud.score")} == open_orders
        empty = {p["id"] for p in woo.state.products.values() if not p["description"].strip() and p["type"] != "variation"}
        described = {j.args["product_id"] for j in await service.jobs("descriptions.generate")}
        assert described == empty and res.orders == len(open_orders)
        assert ticks[-1] == ("products", res.products, res.products)
        before = len(await service.jobs())
        again = await backfill_store(rt, await rt.stores.get("shop"))
        assert again.jobs == 0 and len(await service.jobs()) == before  # nothing twice
