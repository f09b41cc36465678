"""The fake store delivers like WordPress (`wp_safe_remote_post`) and gives up like WooCommerce
(a webhook failing more than 5 times in a row is disabled)."""

from __future__ import annotations

from sovereign_testkit.fake_woo import MAX_DELIVERY_FAILURES, FakeWooStore
from sovereign_testkit.fake_woo_wp import REFUSED, DeliveryRules
from tests.woo.conftest import Receiver

SECRET = "s3cret"


def test_wordpress_url_rules() -> None:
    rules = DeliveryRules("http://shop.example:8080")
    assert rules.allows("https://203.0.113.7/webhooks")  # external, default port
    assert not rules.allows("https://no-such-host.invalid/webhooks")  # gethostbyname fails: refused
    assert rules.allows("http://203.0.113.9:8080/x")  # public address, a safe port
    assert not rules.allows("http://203.0.113.9:8787/x")  # Sovereign's default port: refused
    assert not rules.allows("http://127.0.0.1/x")  # loopback, not the site's host
    assert not rules.allows("http://10.1.2.3/x") and not rules.allows("http://172.20.0.5/x")
    assert not rules.allows("http://192.168.1.10:443/x")
    assert rules.allows("http://172.32.0.5/x")  # outside 172.16/12
    assert rules.allows("http://shop.example:8080/x")  # the site's own host and port
    assert not rules.allows("http://shop.example:9000/x")  # own host, other port: still the port rule
    # A store owner's filters widen it.
    assert DeliveryRules("http://shop.example", external_hosts={"127.0.0.1"}).allows("http://127.0.0.1/x")
    assert DeliveryRules("http://shop.example", safe_ports=[80, 443, 8080, 8787]).allows("http://203.0.113.9:8787/x")
    assert DeliveryRules("http://shop.example", safe_ports="any", external_hosts="any").allows("http://10.0.0.1:1/x")


async def test_a_refused_url_is_never_contacted(receiver: Receiver) -> None:
    async with FakeWooStore() as store:  # stock rules: the receiver's random port is not allowed
        hook = store.add_webhook("order.updated", receiver.url + "/hook", SECRET)
        sent = await store.deliver("order.updated", 85)
        assert [d.error for d in sent] == [REFUSED] and sent[0].status is None
        assert receiver.received == []
        assert store.hooks.get(hook.id).failure_count == 1
    async with FakeWooStore(safe_ports=[80, 443, 8080, int(receiver.url.rsplit(":", 1)[1])]) as store:
        store.add_webhook("order.updated", receiver.url + "/hook", SECRET)
        sent = await store.deliver("order.updated", 85)
        assert [d.status for d in sent] == [200] and len(receiver.received) == 1


async def test_more_than_five_failures_in_a_row_disable_the_webhook(store: FakeWooStore, receiver: Receiver) -> None:
    hook = store.add_webhook("order.updated", receiver.url + "/hook", SECRET)
    receiver.status = 500
    for _ in range(3):
        await store.deliver("order.updated", 85)
    receiver.status = 200
    await store.deliver("order.updated", 85)
    assert store.hooks.get(hook.id).failure_count == 0  # a success resets the count
    receiver.status = 503
    for _ in range(MAX_DELIVERY_FAILURES + 1):
        await store.deliver("order.updated", 85)
    assert store.hooks.get(hook.id).status == "active"  # 6 failures: still active, as in WooCommerce
    await store.deliver("order.updated", 85)
    assert store.hooks.get(hook.id).status == "disabled"
    before = len(receiver.received)
    assert await store.deliver("order.updated", 85) == [] and len(receiver.received) == before
