"""Applying a fraud decision to the WooCommerce order: hold, private note, meta. Never cancel.

What happens, after a fresh ``GET`` of the order (its status may have moved on
since the webhook):

* pending / processing, at or above the threshold: one PUT with status
  ``on-hold`` and both metas, then a private note (score, threshold, reasons);
* on-hold, at or above the threshold: the metas and the note, status unchanged;
* below the threshold (any scorable status): the metas only (a score meta is
  what makes the store's next ``order.updated`` loop-guarded), no note, no
  status change: a clean order is otherwise left alone;
* any other status (completed, cancelled, refunded, failed...): nothing at all.

A person releasing an order this service held is a human decision: a later
re-score never holds it again (meta and note are still updated). In monitor
mode the note and metas are written but the status never changes. Every step
is idempotent: a meta already equal is not rewritten, a note whose text is
already on the order is not added twice, so a retried job writes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sovereign.domain.fraud import META_REASONS, META_SCORE
from sovereign.features.store_port import StoreOrders

from sovereign.features.fraud.scoring import Scored

__all__ = ["HOLDABLE", "SCORABLE", "WriteBack", "write_back"]

HOLDABLE = frozenset({"pending", "processing"})
SCORABLE = HOLDABLE | {"on-hold"}
ON_HOLD = "on-hold"


@dataclass(frozen=True, slots=True)
class WriteBack:
    applied: bool  # the decision is in effect on the order (held / meta written)
    detail: str  # what was done, for the results table and logs
    status_before: str = ""


async def write_back(woo: StoreOrders, scored: Scored, *, held_before: bool = False) -> WriteBack:
    """Apply ``scored`` to its order. ``held_before``: this service already put it on hold once."""
    order_id = scored.order.id
    fresh = await woo.get_order(order_id)
    status = str(fresh.get("status") or "")
    if status not in SCORABLE:
        return WriteBack(False, f"order is {status or 'without status'}: left untouched", status)

    meta = scored.meta if not scored.decision.meta else dict(scored.decision.meta)
    meta_changed = _current_meta(fresh) != (meta[META_SCORE], meta[META_REASONS])
    decision = scored.decision
    hold_now = decision.hold and status in HOLDABLE and not held_before

    if hold_now:
        await woo.update_order(order_id, status=ON_HOLD, meta_data=meta)
    elif meta_changed:
        await woo.update_order(order_id, meta_data=meta)
    if decision.note_text:
        await _add_note_once(woo, order_id, decision.note_text)

    if hold_now:
        return WriteBack(True, f"put on hold (was {status}), note and meta written", status)
    if decision.hold and status == ON_HOLD:
        return WriteBack(True, "already on hold: note and meta written", status)
    if decision.hold:
        return WriteBack(False, f"released by a person after an earlier hold (now {status}): not held again", status)
    if decision.note_text:
        return WriteBack(True, "monitor mode: note and meta written, status unchanged", status)
    return WriteBack(True, "below the threshold: meta written, no note, status unchanged", status)


def _current_meta(order: Mapping[str, Any]) -> tuple[Any, Any]:
    score = reasons = None
    for entry in order.get("meta_data") or ():
        if isinstance(entry, Mapping):
            if entry.get("key") == META_SCORE:
                score = entry.get("value")
            elif entry.get("key") == META_REASONS:
                reasons = entry.get("value")
    return score, reasons


async def _add_note_once(woo: StoreOrders, order_id: int, text: str) -> bool:
    wanted = _squash(text)
    for note in await woo.list_order_notes(order_id):
        if isinstance(note, Mapping) and not note.get("customer_note") and _squash(str(note.get("note", ""))) == wanted:
            return False
    await woo.add_order_note(order_id, text, customer_note=False)
    return True


def _squash(text: str) -> str:
    return " ".join(text.split())
