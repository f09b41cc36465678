"""Proof of the round trip: the running service recorded the store's ping or a delivery for each webhook."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from sovereign.features.storesync import reach
from sovereign.store.webhook_receipts import Receipt, WebhookReceipts


@dataclass
class RoundTrip:
    received: dict[int, Receipt] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    waited_s: float = 0.0
    diagnosis: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing


async def wait_for_receipts(
    receipts: WebhookReceipts,
    store_id: str,
    webhook_ids: list[int],
    since: datetime,
    *,
    timeout_s: float = 30.0,
    poll_s: float = 0.5,
) -> RoundTrip:
    start = time.monotonic()
    got: dict[int, Receipt] = {}
    while True:
        got = await receipts.since(store_id, webhook_ids, since)
        waited = time.monotonic() - start
        if len(got) >= len(set(webhook_ids)) or waited >= timeout_s:
            break
        await asyncio.sleep(min(poll_s, max(0.0, timeout_s - waited)))
    missing = sorted(set(webhook_ids) - set(got))
    return RoundTrip(received=got, missing=missing, waited_s=round(time.monotonic() - start, 1))


async def diagnose(public_url: str, store_url: str, *, got_some: bool) -> list[str]:
    """Why the store's webhooks did not reach Sovereign, most likely cause first."""
    out = reach.rule_problems(public_url, store_url)
    down = await reach.service_answers(public_url)
    if down:
        out.append(
            f"Sovereign is not running or not reachable at {public_url}: {down}. Start it with `sovereign serve` "
            "(and check the public URL) before connecting."
        )
    if not out:
        out.append(
            f"Sovereign answers at {public_url} from here, but the store's requests did not arrive: check that the "
            "store can reach this URL from its own network (firewall, DNS, proxy), that --public-url is the address "
            "the store should use, and WooCommerce > Status > Logs (webhooks-delivery) on the store."
        )
    if got_some:
        out.append("Some webhooks did reach Sovereign: the others may still be on their way; `sovereign stores test` checks again.")
    return out
