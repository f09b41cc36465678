"""A WooCommerce-shaped HTTP store for tests and the demo, built from the captured fixtures.

    async with FakeWooStore() as store:                  # uvicorn on 127.0.0.1, free port
        woo = WooClient(store.url, store.consumer_key, store.consumer_secret)   # OAuth 1.0a over http
        await woo.update_order(85, status="on-hold")
        assert store.order(85)["status"] == "on-hold"
        store.add_webhook("order.updated", "http://127.0.0.1:9000/webhooks/woocommerce/demo", "s3cret")
        await store.deliver("order.updated", 85)         # signed, PHP-encoded, real headers

It serves ``/wp-json/wc/v3``: orders (list, single, PUT, notes), products (list,
single, PUT, batch with per-item errors) and webhooks CRUD, with the captured
bodies, headers, pagination headers and error bodies, and the authentication
rules of ``WC_REST_Authentication`` (``fake_woo_http``). Writes mutate an
in-memory state (``state``), are logged in ``writes`` and, like WooCommerce,
fire ``order.updated`` / ``product.updated`` (and the status / note actions)
back at the registered webhooks (``echo_writes``). ``inject_fault`` makes the
next requests fail (503, 429 with ``Retry-After``, or a slow answer).

Run it alone for a demo: ``python -m sovereign_testkit.fake_woo --port 8089 [--safe-ports 80,443,8080,8787]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import sys
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Collection, Literal

import httpx

from .fake_woo_hooks import Delivery, Webhook, WebhookRegistry, build_payload, delivery_headers, ping_headers, to_wire
from .fake_woo_http import Fault, RequestRecord, WooApp
from .fake_woo_server import LocalServer
from .fake_woo_media import Media
from .fake_woo_state import Event, StoreState, Write
from .fake_woo_wp import DEFAULT_SAFE_PORTS, REFUSED, DeliveryRules
from .fixtures import load_deliveries

__all__ = ["FakeWooStore", "DeliveryRules", "MAX_DELIVERY_FAILURES", "DEFAULT_CONSUMER_KEY", "DEFAULT_CONSUMER_SECRET", "Delivery", "Fault", "RequestRecord", "Write"]

DEFAULT_CONSUMER_KEY = "ck_" + hashlib.sha1(b"sovereign fake woo key").hexdigest()
DEFAULT_CONSUMER_SECRET = "cs_" + hashlib.sha1(b"sovereign fake woo secret").hexdigest()
_REPLAY_SKIP = {"host", "content-length", "connection", "accept-encoding"}
MAX_DELIVERY_FAILURES = 5  # woocommerce_max_webhook_delivery_failures: more consecutive failures disable a webhook


class FakeWooStore:
    def __init__(
        self,
        *,
        consumer_key: str = DEFAULT_CONSUMER_KEY,
        consumer_secret: str = DEFAULT_CONSUMER_SECRET,
        permissions: str = "read_write",
        assume_https: bool = False,
        echo_writes: bool = True,
        delivery_delay: float = 0.0,
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
        fixtures: Path | None = None,
        recent: bool = False,
        safe_ports: Collection[int] | Literal["any"] = DEFAULT_SAFE_PORTS,
        external_hosts: Collection[str] | Literal["any"] = (),
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        settings: dict[str, dict[str, Any]] | None = None,
        timezone: str = "UTC",
        language: str = "en_US",
    ) -> None:
        """``assume_https``: behave as if behind a TLS-terminating proxy, so Basic auth is honoured
        (with the captured Basic-auth 401 bodies). ``permissions``: the key's level, ``read``,
        ``write`` or ``read_write``. ``delivery_delay``: seconds between a write and its echo.
        ``recent``: move every captured date by one offset so that the newest change happened
        an hour before ``clock`` (the captured store as if it was captured just now); without it
        the captured dates (2026-11-22) stay as they are.

        Webhooks go out under WordPress's ``wp_safe_remote_post`` rules (``fake_woo_wp``): only to
        ports 80, 443 and 8080 and to no loopback or private address except the site's own host.
        ``safe_ports`` and ``external_hosts`` are what a store owner's ``http_allowed_safe_ports``
        and ``http_request_host_is_external`` filters would return (``"any"``: everything); a test
        whose receiver listens on a random port of 127.0.0.1 passes ``safe_ports="any"``.
        ``ssl_certfile``/``ssl_keyfile``: serve HTTPS with that certificate (Basic auth then works).
        ``settings``: values for ``/settings/{group}`` options by group and id, e.g.
        ``{"general": {"woocommerce_currency": "EUR"}}``; ``timezone`` and ``language`` are the
        WordPress site's (REST index ``timezone_string``, system status ``language``)."""
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.permissions = permissions
        self.assume_https = assume_https or bool(ssl_certfile)
        self.safe_ports = safe_ports
        self.external_hosts = external_hosts
        self.settings_values: dict[str, dict[str, Any]] = settings or {}
        self.timezone = timezone
        self.language = language
        self._ssl = (ssl_certfile, ssl_keyfile)
        self.echo_writes = echo_writes
        self.delivery_delay = delivery_delay
        self.state = StoreState(fixtures, clock, recent=recent)
        self.hooks = WebhookRegistry()
        self.media = Media(lambda: self.url)  # /wp-content/uploads/: image files for the image checks
        self.requests: list[RequestRecord] = []
        self.deliveries: list[Delivery] = []
        self.url = ""
        self._port = port
        self._faults: deque[Fault] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: LocalServer | None = None
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"FakeWooStore(url={self.url!r}, orders={len(self.state.orders)}, products={len(self.state.products)})"

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> FakeWooStore:
        self._server = LocalServer(WooApp(self), self._port, ssl_certfile=self._ssl[0], ssl_keyfile=self._ssl[1])
        self.url = await self._server.start()
        self._http = httpx.AsyncClient(timeout=10.0)
        return self

    async def stop(self) -> None:
        await self.drain()
        if self._server is not None:
            await self._server.stop()
        if self._http is not None:
            await self._http.aclose()
        self._server = self._http = None

    async def __aenter__(self) -> FakeWooStore:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- state, for assertions --------------------------------------------------------------

    @property
    def writes(self) -> list[Write]:
        return self.state.writes

    def order(self, order_id: int) -> dict[str, Any]:
        return self.state.orders[order_id]

    def product(self, product_id: int) -> dict[str, Any]:
        """The stored product (raw texts, not ``<p>``-wrapped)."""
        return self.state.products[product_id]

    def notes(self, order_id: int) -> list[dict[str, Any]]:
        """The order's notes, newest first, as ``GET /orders/{id}/notes`` lists them."""
        return self.state.order_notes(order_id)

    def add_webhook(self, topic: str, delivery_url: str, secret: str, *, name: str | None = None) -> Webhook:
        """Register an active webhook directly (no ping), as if created in wp-admin earlier."""
        return self.hooks.create(
            {"topic": topic, "delivery_url": delivery_url, "secret": secret, "name": name}, self.state.now()
        )

    def inject_fault(
        self,
        status: int | None = 503,
        *,
        count: int = 1,
        retry_after: str | None = None,
        delay: float = 0.0,
        method: str | None = None,
        path_contains: str = "",
    ) -> None:
        """The next ``count`` matching requests get ``status`` (after ``delay`` s); ``status=None``
        only delays them (to make clients time out) and then serves them normally."""
        for _ in range(count):
            self._faults.append(Fault(status, retry_after, delay, method, path_contains))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if (fault.method is None or fault.method == method) and fault.path_contains in path:
                self._faults.remove(fault)
                return fault
        return None

    # -- webhook sender ---------------------------------------------------------------------

    @property
    def rules(self) -> DeliveryRules:
        return DeliveryRules(self.url, self.safe_ports, self.external_hosts)

    async def deliver(self, topic: str, resource_id: int) -> list[Delivery]:
        """Send ``topic`` about ``resource_id`` to every active webhook on that topic, as WooCommerce does:
        a 2xx (or 301/302) answer resets the webhook's failure count, anything else adds one, and a
        failure beyond ``MAX_DELIVERY_FAILURES`` in a row disables the webhook."""
        sent = []
        for webhook in self.hooks.matching(topic):
            body = to_wire(build_payload(self.state, topic, resource_id), self.url)
            headers = delivery_headers(webhook, topic, body, self.url)
            delivery = await self._post(webhook.id, topic, webhook.delivery_url, body, headers, safe=True)
            if delivery.status is not None and 200 <= delivery.status <= 302:
                webhook.failure_count = 0
            elif webhook.failure_count > MAX_DELIVERY_FAILURES:
                webhook.status = "disabled"
            else:
                webhook.failure_count += 1
            sent.append(delivery)
        return sent

    async def replay_captured(
        self, url: str, *, topics: set[str] | None = None, include_pings: bool = True, limit: int | None = None
    ) -> list[Delivery]:
        """POST the captured ``webhook_deliveries.jsonl`` to ``url`` verbatim (body and headers, in order).

        They are signed with the capture's secret ``fixture-secret-1``."""
        sent: list[Delivery] = []
        for record in load_deliveries():
            if (record["topic"] == "ping" and not include_pings) or (topics and record["topic"] not in topics):
                continue
            headers = [(k, v) for k, v in record["header_list"] if k.lower() not in _REPLAY_SKIP]
            webhook_id = int(record["headers"].get("X-WC-Webhook-ID") or record["body_raw"].partition("=")[2] or 0)
            sent.append(await self._post(webhook_id, record["topic"], url, record["body_raw"].encode("utf-8"), headers))
            if limit is not None and len(sent) >= limit:
                break
        return sent

    async def drain(self) -> None:
        """Wait until the deliveries fired by earlier writes have been sent."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _fire(self, events: list[Event]) -> None:
        if not self.echo_writes or not events:
            return
        task = asyncio.get_running_loop().create_task(self._deliver_events(events))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_events(self, events: list[Event]) -> None:
        await asyncio.sleep(self.delivery_delay)
        for topic, resource_id in events:
            await self.deliver(topic, resource_id)

    async def _ping(self, webhook: Webhook) -> Delivery:
        body = f"webhook_id={webhook.id}".encode("ascii")
        return await self._post(webhook.id, "ping", webhook.delivery_url, body, ping_headers(), safe=True)

    async def _post(
        self, webhook_id: int, topic: str, url: str, body: bytes, headers: list[tuple[str, str]], *, safe: bool = False
    ) -> Delivery:
        """``safe``: through ``wp_safe_remote_post`` (a URL WordPress refuses is never contacted)."""
        assert self._http is not None, "start() the store first"
        if safe and not self.rules.allows(url):
            delivery = Delivery(webhook_id, topic, url, body, tuple(headers), None, REFUSED)
            self.deliveries.append(delivery)
            return delivery
        try:
            response = await self._http.post(url, content=body, headers=headers)
            delivery = Delivery(webhook_id, topic, url, body, tuple(headers), response.status_code)
        except httpx.HTTPError as exc:
            delivery = Delivery(webhook_id, topic, url, body, tuple(headers), None, f"{type(exc).__name__}: {exc}")
        self.deliveries.append(delivery)
        return delivery


async def _serve_forever(port: int, safe_ports: Collection[int] | Literal["any"]) -> None:
    async with FakeWooStore(port=port, safe_ports=safe_ports) as store:
        info = {"url": store.url, "consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret}
        print(json.dumps(info), flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the fake WooCommerce store on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument(
        "--safe-ports", default=",".join(map(str, DEFAULT_SAFE_PORTS)),
        help="ports webhooks may go to, as the http_allowed_safe_ports filter would return them ('any': all)",
    )
    args = parser.parse_args(argv)
    ports: Collection[int] | Literal["any"] = "any" if args.safe_ports == "any" else [int(p) for p in args.safe_ports.split(",")]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(args.port, ports))


if __name__ == "__main__":
    main(sys.argv[1:])
