"""Looking at, testing, moving and disconnecting a connected store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sovereign.features.services import FeatureServices
from sovereign.features.storesync.reconcile import repair_store_webhooks, store_public_url
from sovereign.features.storesync import reach, webhooks
from sovereign.store.stores import StoreRecord
from sovereign.store.webhook_receipts import WebhookReceipts
from sovereign.woo.errors import WooError, describe
from sovereign.features.storesync.connect import key_problem

log = logging.getLogger("sovereign.stores")


class StoreNotFound(LookupError):
    pass


async def _store(rt: FeatureServices, store_id: str) -> StoreRecord:
    store = await rt.stores.get(store_id)
    if store is None:
        raise StoreNotFound(f"no store {store_id!r} is connected (`sovereign stores list`)")
    return store


async def show(rt: FeatureServices, store_id: str) -> dict[str, Any]:
    """The record (no secret), our webhooks as the store lists them, and when each last reached us."""
    store = await _store(rt, store_id)
    out = store.public()
    out["woo_settings"] = store.woo_settings
    out["overrides"] = store.overrides
    receipts = await WebhookReceipts(rt.db.pool).all(store.id)
    try:
        hooks = await webhooks.ours(rt.woo(store), store.id)
        out["webhooks"] = [
            {"id": h["id"], "topic": h.get("topic"), "status": h.get("status"), "delivery_url": h.get("delivery_url"),
             "last_received": receipts[h["id"]].last_at.isoformat() if h["id"] in receipts else None}
            for h in hooks
        ]
    except WooError as exc:
        out["webhooks_error"] = describe(exc)
    return out


@dataclass
class TestReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(passed for _, passed, _ in self.checks)


async def test(rt: FeatureServices, store_id: str) -> TestReport:
    """Key (read/write), webhooks (one active per topic at the recorded URL), Sovereign reachable at that URL,
    WordPress's delivery rules, and whether each webhook has ever reached us."""

    store = await _store(rt, store_id)
    report = TestReport()
    woo = rt.woo(store)
    try:
        check = await woo.check_credentials()
        report.checks.append(("key", check.ok, "read/write" if check.ok else key_problem(check, store.url)))
    except WooError as exc:
        report.checks.append(("store reachable", False, describe(exc)))
        return report
    public_url = store_public_url(rt, store)
    target = webhooks.delivery_url(public_url, store.id)
    hooks = await webhooks.ours(woo, store.id, target)
    good = {h.get("topic") for h in hooks if h.get("delivery_url") == target and h.get("status") == "active"}
    missing = [t for t in webhooks.TOPICS if t not in good]
    extra = len(hooks) - len(webhooks.TOPICS)
    detail = f"{len(good)} of {len(webhooks.TOPICS)} active at {target}"
    if missing:
        detail += f"; missing or inactive: {', '.join(missing)} (`sovereign stores sync {store.id}` repairs them)"
    if extra > 0:
        detail += f"; {extra} duplicate(s)"
    report.checks.append(("webhooks", not missing and extra <= 0, detail))
    down = await reach.service_answers(public_url)
    report.checks.append(("Sovereign at the public URL", down is None, down or f"{public_url}/healthz answers"))
    problems = reach.rule_problems(public_url, store.url)
    report.checks.append(("WordPress delivery rules", not problems, " ".join(problems) or "port and address allowed"))
    receipts = await WebhookReceipts(rt.db.pool).all(store.id)
    heard = [h for h in hooks if int(h["id"]) in receipts]
    report.checks.append(("deliveries received", bool(heard) or not hooks,
                          f"{len(heard)} of {len(hooks)} webhooks have reached Sovereign"))
    return report


async def set_url(rt: FeatureServices, store_id: str, public_url: str) -> webhooks.Repair:
    """Record a new public URL and move our webhooks there (our duplicates go)."""
    store = await _store(rt, store_id)
    await rt.stores.set_webhook_url(store.id, public_url)
    store = await _store(rt, store_id)
    return await repair_store_webhooks(rt, store)


@dataclass
class Removal:
    webhooks_deleted: list[int] = field(default_factory=list)
    store_error: str | None = None
    history_erased: bool = False


async def remove(rt: FeatureServices, store_id: str, *, erase_history: bool = False, force: bool = False) -> Removal:
    """Delete our webhooks on the store, then the secrets here (and with ``erase_history`` the
    received events). If the store cannot be reached the webhooks stay there: refused unless ``force``."""
    store = await _store(rt, store_id)
    out = Removal(history_erased=erase_history)
    try:
        out.webhooks_deleted = await webhooks.remove_all(rt.woo(store), store)
    except WooError as exc:
        out.store_error = describe(exc)
        if not force:
            return out
        log.warning("store %s: webhooks not deleted on the store (%s); removing it here anyway", store.id, out.store_error)
    await rt.stores.remove(store.id, erase_history=erase_history)
    return out
