"""`connect` and reconciliation against the WooCommerce-shaped store (real HTTP, real database)."""

from __future__ import annotations

import pytest

from sovereign.features.storesync.connect import ConnectError, connect_store, delivery_url
from sovereign.jobs import JobContext
from sovereign_testkit.fake_woo import FakeWooStore
from tests.web.conftest import Service


async def _run_job(service: Service, name: str, args: dict) -> None:
    rt = service.runtime
    spec = rt.registry.get(name)
    ctx = JobContext(job_id=0, name=name, group=spec.group, attempt=1, max_attempts=1, scheduled_for=None, services=rt)
    await spec.handler(spec.args_model.model_validate(args), ctx)


async def test_connect_checks_the_key_registers_webhooks_and_is_idempotent(service: Service) -> None:
    rt = service.runtime
    async with FakeWooStore(safe_ports="any") as woo:  # Sovereign on a random port: the filter allows it
        res = await connect_store(rt.stores, url=woo.url, consumer_key=woo.consumer_key,
                                  consumer_secret=woo.consumer_secret, public_url=service.url, store_id="shop")
        hooks = [h for h in woo.hooks.matching("order.created")]
        assert len(res.webhook_ids) == 4 and hooks
        assert all(h.delivery_url == delivery_url(service.url, "shop") for h in hooks)
        pings = [d for d in woo.deliveries if d.topic == "ping"]
        assert pings and all(d.status == 200 for d in pings)  # our receiver answered WooCommerce's pings
        again = await connect_store(rt.stores, url=woo.url, consumer_key=woo.consumer_key,
                                    consumer_secret=woo.consumer_secret, public_url=service.url, store_id="shop")
        assert again.replaced == 4 and len(woo.hooks.matching("order.created")) == 1
        stored = await rt.stores.get("shop")
        assert "secret" not in repr(stored) and stored.webhook_secret not in str(stored.public())


async def test_connect_refuses_a_read_only_key(service: Service) -> None:
    async with FakeWooStore(permissions="read") as woo:
        with pytest.raises(ConnectError, match="write"):
            await connect_store(service.runtime.stores, url=woo.url, consumer_key=woo.consumer_key,
                                consumer_secret=woo.consumer_secret, public_url=service.url, store_id="ro")
    assert await service.runtime.stores.get("ro") is None


async def test_reconciliation_schedules_what_webhooks_missed_and_re_enables_disabled_hooks(service: Service) -> None:
    rt = service.runtime
    async with FakeWooStore(recent=True) as woo:
        await connect_store(rt.stores, url=woo.url, consumer_key=woo.consumer_key,
                            consumer_secret=woo.consumer_secret, public_url=service.url, store_id="shop")
        rt.settings.public_url = service.url
        hook = woo.hooks.matching("order.created")[0]
        await rt.woo(await rt.stores.get("shop")).update_webhook(hook.id, status="disabled")
        # No delivery was ever received: reconciliation finds the orders and products itself.
        await _run_job(service, "reconcile.store", {"store": "shop"})
        assert woo.hooks.get(hook.id).status == "active"
        fraud = await service.jobs("fraud.score")
        orders = [o for o in woo.state.orders.values() if o["status"] in ("pending", "processing", "on-hold")]
        assert {j.args["order_id"] for j in fraud} == {o["id"] for o in orders}
        assert await service.jobs("descriptions.generate")
        assert (await rt.stores.get("shop")).last_sync_at is not None
        # A second pass finds the same content: nothing new.
        before = len(await service.jobs())
        await _run_job(service, "reconcile.store", {"store": "shop"})
        assert len(await service.jobs()) == before
