"""What a WooCommerce delivery should set in motion: a pure decision, no I/O.

The receiver stores the event and schedules the planned jobs in one
transaction. The loop guard lives here: changes our own writes caused carry
the meta we wrote (``_sovereign_fraud_score`` on orders,
``_sovereign_description_draft`` / ``_sovereign_description_status`` on
products), so they schedule nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from sovereign.domain.fraud_decision import META_SCORE
from sovereign.features.images.trigger import FINDINGS_META, JOB as IMAGES_JOB, plan_images
from sovereign.woo.webhooks import WebhookDelivery, strip_autop

DRAFT_META = "_sovereign_description_draft"
DESCRIPTION_STATUS_META = "_sovereign_description_status"
OWN_META_PREFIX = "_sovereign_"

# Orders in these states can still be held; scoring anything else changes nothing.
SCORABLE_STATUSES = frozenset({"pending", "processing", "on-hold"})


@dataclass(frozen=True)
class JobPlan:
    name: str
    args: dict[str, Any]
    dedupe_key: str
    delay_s: float = 0.0


@dataclass(frozen=True)
class Plan:
    outcome: str  # scheduled | ignored | loop_guard
    detail: str
    jobs: tuple[JobPlan, ...] = field(default_factory=tuple)


def plan_delivery(store_id: str, delivery: WebhookDelivery, settings: Mapping[str, Any]) -> Plan:
    if delivery.is_action:
        return Plan("ignored", f"{delivery.topic}: actions are recorded only")
    if delivery.resource == "order" and delivery.event in ("created", "updated"):
        return _plan_order(store_id, delivery, settings)
    if delivery.resource == "product" and delivery.event in ("created", "updated"):
        return _with_images(_plan_product(store_id, delivery, settings), store_id, delivery, settings)
    return Plan("ignored", f"{delivery.topic}: no feature listens to it")


def _plan_order(store_id: str, d: WebhookDelivery, settings: Mapping[str, Any]) -> Plan:
    if d.meta(META_SCORE) is not None:
        return Plan("loop_guard", f"order {d.resource_id} already carries {META_SCORE}")
    status = str(d.body.get("status", ""))
    if status not in SCORABLE_STATUSES:
        return Plan("ignored", f"order {d.resource_id} is {status or 'without status'}: nothing to hold")
    if not settings.get("fraud_enabled", True):
        return Plan("ignored", "fraud scoring is off for this store")
    job = JobPlan("fraud.score", {"store": store_id, "order_id": d.resource_id}, f"fraud:{store_id}:{d.resource_id}")
    return Plan("scheduled", f"order {d.resource_id} ({status}) queued for fraud scoring", (job,))


def _plan_product(store_id: str, d: WebhookDelivery, settings: Mapping[str, Any]) -> Plan:
    if d.meta(DRAFT_META) is not None or d.meta(DESCRIPTION_STATUS_META) is not None:
        return Plan("loop_guard", f"product {d.resource_id} already has a Sovereign description or draft")
    if d.body.get("type") == "variation" and not settings.get("describe_variations", False):
        return Plan("ignored", f"product {d.resource_id} is a variation (describe_variations is off)")
    if strip_autop(str(d.body.get("description") or "")).strip():
        return Plan("ignored", f"product {d.resource_id} already has a description")
    if not settings.get("descriptions_enabled", True):
        return Plan("ignored", "descriptions are off for this store")
    delay = float(settings.get("description_delay_s", 10.0))
    job = JobPlan(
        "descriptions.generate",
        {"store": store_id, "product_id": d.resource_id},
        f"describe:{store_id}:{d.resource_id}",
        delay,
    )
    return Plan("scheduled", f"product {d.resource_id} queued for a description", (job,))


def _with_images(plan: Plan, store_id: str, d: WebhookDelivery, settings: Mapping[str, Any]) -> Plan:
    """The description plan, plus an image check when the product's images changed since we last saw them."""
    found = plan_images(store_id, d.resource_id, d.body, d.meta(FINDINGS_META), settings)
    if found is None:
        return plan
    args, key, delay, detail = found
    job = JobPlan(IMAGES_JOB, args, key, delay)
    return Plan("scheduled", f"{plan.detail}; {detail}", (*plan.jobs, job))
