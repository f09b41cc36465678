"""The Black-Friday burst: each order is scored at checkout, then its signed webhooks are sent.

For every order, at ``rate`` orders per second (at most ``concurrency`` in
flight): the order is saved in the fake store, the checkout calls
``POST /v1/fraud/score`` (as a store plugin would, with a 5 s client
timeout), then the store sends ``order.created`` and ``order.updated``
(identical bodies, as WooCommerce does for a new order), signed with the
secret `connect` registered. Nothing is retried: WooCommerce does not retry
a refused delivery and a checkout does not wait twice.

An order is **blocked** when its checkout call got no usable answer: an
error status, a transport error, or no answer within ``CHECKOUT_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import httpx

from sovereign_testkit.fake_woo import FakeWooStore

__all__ = ["CHECKOUT_TIMEOUT_S", "BurstResult", "Checkout", "Delivered", "run_burst"]

CHECKOUT_TIMEOUT_S = 5.0  # the endpoint's own budget is 4 s; a checkout gives up after this


@dataclass(frozen=True, slots=True)
class Checkout:
    order_id: int
    at: float  # seconds from the drill's origin when the call started
    ms: float
    status: int | None  # None: no HTTP answer
    llm: str = ""
    rules_only: bool = False  # answered on the rules alone (the AI review was wanted but unavailable)
    history: bool = True  # False: answered without the store's order history (database unavailable)
    error: str = ""

    @property
    def blocked(self) -> bool:
        return self.status != 200


@dataclass(frozen=True, slots=True)
class Delivered:
    order_id: int
    topic: str
    at: float
    status: int | None
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == 200


@dataclass(slots=True)
class BurstResult:
    checkouts: list[Checkout] = field(default_factory=list)
    deliveries: list[Delivered] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def accepted_orders(self) -> set[int]:
        return {d.order_id for d in self.deliveries if d.accepted}

    def refused_orders(self) -> set[int]:
        """Orders none of whose deliveries was accepted."""
        return {d.order_id for d in self.deliveries} - self.accepted_orders()


async def run_burst(
    woo: FakeWooStore,
    service_url: str,
    store_id: str,
    api_key: str,
    orders: Sequence[dict[str, Any]],
    *,
    rate: float,
    origin: float,
    concurrency: int = 16,
) -> BurstResult:
    """Send the burst; ``origin`` is the drill's ``time.monotonic()`` zero."""
    result = BurstResult(started=time.monotonic() - origin)
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=service_url, timeout=CHECKOUT_TIMEOUT_S, limits=limits) as client:

        async def one(i: int, order: dict[str, Any]) -> None:
            await asyncio.sleep(max(0.0, origin + result.started + i / rate - time.monotonic()))
            async with gate:
                woo.state.orders[int(order["id"])] = order
                result.checkouts.append(await _checkout(client, headers, store_id, order, origin))
                for topic in ("order.created", "order.updated"):
                    at = time.monotonic() - origin
                    sent = await woo.deliver(topic, int(order["id"]))
                    for d in sent or [None]:
                        status = d.status if d is not None else None
                        error = (d.error or "") if d is not None else "no active webhook for the topic"
                        result.deliveries.append(Delivered(int(order["id"]), topic, at, status, error))

        await asyncio.gather(*(one(i, o) for i, o in enumerate(orders)))
    result.ended = time.monotonic() - origin
    return result


async def _checkout(
    client: httpx.AsyncClient, headers: dict[str, str], store_id: str, order: dict[str, Any], origin: float
) -> Checkout:
    t0 = time.monotonic()
    at = t0 - origin
    try:
        r = await client.post("/v1/fraud/score", json={"store": store_id, "order": order}, headers=headers)
    except httpx.HTTPError as exc:
        return Checkout(int(order["id"]), at, _ms(t0), None, error=f"{type(exc).__name__}: {exc}"[:300])
    ms = _ms(t0)
    if r.status_code != 200:
        return Checkout(int(order["id"]), at, ms, r.status_code, error=r.text[:300])
    doc = r.json()
    return Checkout(int(order["id"]), at, ms, 200, llm=str(doc.get("llm", "")), rules_only=bool(doc.get("degraded")),
                    history=doc.get("history", True) is not False)


def _ms(t0: float) -> float:
    return round((time.monotonic() - t0) * 1000.0, 2)
