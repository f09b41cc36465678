"""An operator's decision on an order the fraud check holds: release it, or keep it on hold.

*release* puts the order back to ``processing`` in WooCommerce, only if it is
still ``on-hold`` there (an order someone already moved is left as it is);
*keep* leaves it held. Either decision is recorded and takes the order off the
review queue until a newer fraud result holds it again. A decision that cannot
be carried out records nothing (``DecisionRefused``, with a message for the operator).
"""

from __future__ import annotations

import logging


from sovereign.features.services import FeatureServices
from sovereign.features.store_port import StoreOrders
from sovereign.store.held_orders import HeldOrders
from sovereign.woo.errors import WooError

__all__ = ["DECISIONS", "DecisionRefused", "StoreOrders", "decide_held_order", "release_order"]

log = logging.getLogger("sovereign.fraud")

DECISIONS = ("release", "keep")
ON_HOLD = "on-hold"


class DecisionRefused(Exception):
    """Nothing was recorded; the message tells the operator why."""


async def release_order(orders: StoreOrders, order_id: int) -> str:
    """Back to ``processing`` if still held; returns what was done. ``WooError`` when the store failed."""
    current = str((await orders.get_order(order_id)).get("status") or "")
    if current != ON_HOLD:
        return f"released: the order was already {current or 'without status'} in WooCommerce, left as is"
    await orders.update_order(order_id, status="processing")
    return "released: on-hold -> processing"


async def decide_held_order(services: FeatureServices, store_id: str, order_id: int, decision: str, *,
                            shown_result: str, actor: str) -> str:
    """Carry out and record ``decision`` on the held order, if the operator saw its current result."""
    if decision not in DECISIONS:
        raise DecisionRefused(f"Unknown decision {decision!r}.")
    queue = HeldOrders(services.db.pool)
    held = await queue.get(store_id, order_id)
    if held is None or str(held.result_id) != shown_result:
        raise DecisionRefused(f"Order {order_id} changed since the page was shown (re-scored or reviewed): "
                              "check it again.")
    detail = "kept on hold"
    if decision == "release":
        store = await services.stores.get(store_id)
        if store is None:
            raise DecisionRefused(f"Store {store_id!r} is not connected.")
        try:
            detail = await release_order(services.woo(store), order_id)
        except WooError as exc:
            log.warning("releasing order %s of %s failed: %s", order_id, store_id, exc)
            raise DecisionRefused(f"Order {order_id} was not released: WooCommerce answered {exc}. "
                                  "Nothing was recorded; try again.") from None
    await queue.decide(held, decision, actor, detail)
    log.warning("%s decided %s on order %s of %s: %s", actor, decision, order_id, store_id, detail)
    return detail
