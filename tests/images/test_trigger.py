"""Which product deliveries schedule an image check (pure planner), and the gateway's image plumbing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sovereign.features.storesync.routing import plan_delivery
from sovereign.features.images.trigger import FINDINGS_META, JOB, signature
from sovereign.gateway.cache import cache_key
from sovereign.gateway.types import ChatRequest, Message
from sovereign.woo.webhooks import WebhookDelivery

IMAGES = [{"id": 7, "src": "https://shop.example/a.jpg", "alt": ""}, {"id": 8, "src": "https://shop.example/b.jpg"}]


def delivery(body: dict[str, Any], topic: str = "product.updated") -> WebhookDelivery:
    raw = json.dumps(body).encode()
    return WebhookDelivery(topic=topic, resource="product", event=topic.split(".")[1], webhook_id=1, delivery_id="d",
                           source="https://shop.example", resource_id=body["id"], body=body,
                           body_sha256=hashlib.sha256(raw).hexdigest(), date_modified_gmt=None)


def product(**kw: Any) -> dict[str, Any]:
    return {"id": 31, "type": "simple", "description": "<p>Has one.</p>", "meta_data": [], **kw}


def image_jobs(body: dict[str, Any], settings: dict[str, Any] | None = None) -> list[Any]:
    return [j for j in plan_delivery("shop", delivery(body), settings or {}).jobs if j.name == JOB]


def test_new_or_changed_images_schedule_one_check_with_its_dedupe_key() -> None:
    [job] = image_jobs(product(images=IMAGES))
    assert job.args == {"store": "shop", "product_id": 31} and job.dedupe_key == "images:shop:31"
    seen = {"key": FINDINGS_META, "value": {"signature": signature(IMAGES[:1])}}
    assert len(image_jobs(product(images=IMAGES, meta_data=[seen]))) == 1  # an image was added since


def test_unchanged_images_our_own_echo_and_settings_schedule_nothing() -> None:
    seen = {"key": FINDINGS_META, "value": {"signature": signature(IMAGES)}}
    assert image_jobs(product(images=IMAGES, meta_data=[seen])) == []
    as_text = {"key": FINDINGS_META, "value": json.dumps({"signature": signature(IMAGES)})}
    assert image_jobs(product(images=IMAGES, meta_data=[as_text])) == []
    alt_only = [dict(i, alt="Beanie") for i in IMAGES]  # alt text is not part of what we compare
    assert image_jobs(product(images=alt_only, meta_data=[seen])) == []
    assert image_jobs(product(images=[])) == []  # never had images
    assert image_jobs(product(images=IMAGES), {"images_enabled": False}) == []
    assert image_jobs({"id": 34, "type": "variation", "image": IMAGES[0], "meta_data": []}) == []


def test_removed_images_are_checked_once_to_clear_the_findings() -> None:
    seen = {"key": FINDINGS_META, "value": {"signature": signature(IMAGES)}}
    assert len(image_jobs(product(images=[], meta_data=[seen]))) == 1


def test_the_description_plan_is_kept_beside_the_image_check() -> None:
    plan = plan_delivery("shop", delivery(product(images=IMAGES, description="")), {})
    assert [j.name for j in plan.jobs] == ["descriptions.generate", JOB] and plan.outcome == "scheduled"


def test_images_shape_the_cache_key() -> None:
    def req(*images: str) -> ChatRequest:
        return ChatRequest([Message("user", "alt text please", images=images)], feature="images")

    assert cache_key(req("data:a"), "v") != cache_key(req("data:b"), "v") != cache_key(req(), "v")
    plain = ChatRequest([Message("user", "alt text please")], feature="images")
    assert cache_key(plain, "v") == cache_key(req(), "v")
