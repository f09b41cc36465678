"""Our webhooks on a store: one set, one per topic, at the delivery URL the store record holds.

Ours are recognised by delivery URL (the record's, or any URL ending in our path for this store)
together with our name; anything else on the store is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sovereign.store.stores import StoreRecord
from sovereign.features.store_port import StoreWebhooks

log = logging.getLogger("sovereign.stores.webhooks")

TOPICS = ("order.created", "order.updated", "product.created", "product.updated")
WEBHOOK_NAME = "Sovereign"


def delivery_url(public_url: str, store_id: str) -> str:
    return f"{public_url.rstrip('/')}/webhooks/woocommerce/{store_id}"


def is_ours(hook: dict[str, Any], store_id: str, target: str | None = None) -> bool:
    url = str(hook.get("delivery_url") or "")
    if target is not None and url == target:
        return True
    name = str(hook.get("name") or "")
    return name.startswith(WEBHOOK_NAME + " ") and url.rstrip("/").endswith(f"/webhooks/woocommerce/{store_id}")


@dataclass
class Repair:
    kept: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    re_enabled: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return sorted(self.kept + self.created)

    def changed(self) -> bool:
        return bool(self.created or self.moved or self.re_enabled or self.removed)


async def ours(woo: StoreWebhooks, store_id: str, target: str | None = None) -> list[dict[str, Any]]:
    return [h for h in await woo.list_webhooks() if is_ours(h, store_id, target)]


async def repair(woo: StoreWebhooks, store: StoreRecord, public_url: str) -> Repair:
    """Make the store hold exactly one active webhook of ours per topic, delivering to ``public_url``:
    keep the best one per topic (already at the URL, active, oldest), move it there if it is
    elsewhere, re-enable it if WooCommerce disabled it, delete our duplicates, create what is missing."""
    target = delivery_url(public_url, store.id)
    out = Repair()
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for hook in await ours(woo, store.id, target):
        by_topic.setdefault(str(hook.get("topic")), []).append(hook)
    for topic, hooks in by_topic.items():
        hooks.sort(key=lambda h: (h.get("delivery_url") != target, h.get("status") != "active", int(h["id"])))
        keep, extra = (hooks[0], hooks[1:]) if topic in TOPICS else (None, hooks)
        for hook in extra:
            log.warning("store %s: removing duplicate webhook %s (%s → %s)", store.id, hook["id"], topic, hook.get("delivery_url"))
            await woo.delete_webhook(int(hook["id"]))
            out.removed.append(int(hook["id"]))
        if keep is None:
            continue
        hook_id = int(keep["id"])
        changes: dict[str, Any] = {}
        if keep.get("delivery_url") != target:
            log.warning("store %s: moving webhook %s (%s) from %s to %s", store.id, hook_id, topic, keep.get("delivery_url"), target)
            changes.update(delivery_url=target, secret=store.webhook_secret)
            out.moved.append(hook_id)
        if keep.get("status") != "active":
            log.error(
                "store %s: webhook %s (%s) was %s, most likely after failed deliveries; re-enabling it. "
                "Changes in between are picked up by reconciliation.", store.id, hook_id, topic, keep.get("status"),
            )
            changes["status"] = "active"
            out.re_enabled.append(hook_id)
        if changes:
            await woo.update_webhook(hook_id, **changes)
        out.kept.append(hook_id)
    for topic in TOPICS:
        if topic not in by_topic:
            log.error("store %s: webhook for %s is missing; creating it", store.id, topic)
            created = await woo.create_webhook(f"{WEBHOOK_NAME} {topic}", topic, target, store.webhook_secret)
            out.created.append(int(created["id"]))
    return out


async def remove_all(woo: StoreWebhooks, store: StoreRecord) -> list[int]:
    """Delete every webhook of ours on the store (at the recorded URL or recognisably ours)."""
    target = delivery_url(store.webhook_url, store.id) if store.webhook_url else None
    removed = []
    for hook in await ours(woo, store.id, target):
        await woo.delete_webhook(int(hook["id"]))
        removed.append(int(hook["id"]))
    return removed
