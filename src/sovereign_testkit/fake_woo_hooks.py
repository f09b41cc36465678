"""The fake store's webhooks: the registry behind ``/webhooks`` and deliveries built like WooCommerce's.

A delivery body is built at delivery time from the current state (as
WooCommerce's Action Scheduler does), serialised like PHP ``json_encode``
(``\\/``, ``\\uXXXX``: pure ASCII), signed ``base64(HMAC-SHA256(secret, body))``
and sent with the headers of the captured deliveries, in their wire order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from .fake_woo_php import php_json, wp_hash
from .fake_woo_state import API, CAPTURED_ORIGIN, ApiError, StoreState

__all__ = [
    "USER_AGENT",
    "Webhook",
    "Delivery",
    "WebhookRegistry",
    "to_wire",
    "build_payload",
    "delivery_headers",
    "ping_headers",
    "valid_topic",
]

USER_AGENT = "WooCommerce/10.0.2 Hookshot (WordPress/6.8.8)"
_RESOURCES = ("coupon", "customer", "order", "product")
_EVENTS = ("created", "updated", "deleted", "restored")
_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
    "order.restored": ["untrashed_post"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product", "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}


def to_wire(value: Any, origin: str) -> bytes:
    """PHP-encoded JSON with the captured origin replaced by the fake's own."""
    escape = lambda url: url.replace("/", "\\/")  # noqa: E731
    return php_json(value).replace(escape(CAPTURED_ORIGIN), escape(origin.rstrip("/"))).encode("ascii")


def valid_topic(topic: str) -> bool:
    """``wc_is_webhook_valid_topic``: ``action.*`` or a known resource.event."""
    if topic.startswith("action.") and len(topic) > len("action."):
        return True
    resource, _, event = topic.partition(".")
    return resource in _RESOURCES and event in _EVENTS


@dataclass(slots=True)
class Webhook:
    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    date_created: str
    date_modified: str | None = None
    failure_count: int = 0  # consecutive failed deliveries; more than 5 and WooCommerce disables it

    def __repr__(self) -> str:
        return f"Webhook(id={self.id}, topic={self.topic!r}, status={self.status!r}, delivery_url={self.delivery_url!r})"

    @property
    def resource(self) -> str:
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        return self.topic.split(".", 1)[1]

    def api(self) -> dict[str, Any]:
        """The v3 representation; like WooCommerce's it never includes the secret."""
        hooks = [self.event] if self.resource == "action" else _HOOKS.get(self.topic, [])
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "topic": self.topic,
            "resource": self.resource,
            "event": self.event,
            "hooks": hooks,
            "delivery_url": self.delivery_url,
            "date_created": self.date_created,
            "date_created_gmt": self.date_created,
            "date_modified": self.date_modified,
            "date_modified_gmt": self.date_modified,
            "_links": {
                "self": [
                    {"href": f"{API}/webhooks/{self.id}", "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]}}
                ],
                "collection": [{"href": f"{API}/webhooks"}],
            },
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST the fake sent as WooCommerce (``topic`` is ``"ping"`` for creation pings)."""

    webhook_id: int
    topic: str
    url: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    status: int | None
    error: str | None = None


class WebhookRegistry:
    def __init__(self, first_id: int = 16) -> None:
        self.hooks: dict[int, Webhook] = {}
        self._next = first_id

    def get(self, webhook_id: int) -> Webhook:
        if webhook_id not in self.hooks:
            raise ApiError.of("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        return self.hooks[webhook_id]

    def matching(self, topic: str) -> list[Webhook]:
        return [w for w in self.hooks.values() if w.status == "active" and w.topic == topic]

    def create(self, body: dict[str, Any], now: str) -> Webhook:
        topic = str(body.get("topic") or "").lower()
        if not valid_topic(topic):
            raise ApiError.of("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.", 400)
        url = str(body.get("delivery_url") or "")
        if not url.startswith(("http://", "https://")):
            raise ApiError.of(
                "woocommerce_rest_shop_webhook_invalid_delivery_url",
                "Webhook delivery URL must be a valid URL starting with http:// or https://.",
                400,
            )
        status = _status(body.get("status", "active"))
        webhook_id, self._next = self._next, self._next + 1
        name = str(body.get("name") or f"Webhook created on {now}")
        secret = str(body.get("secret") or secrets.token_urlsafe(36))
        webhook = Webhook(webhook_id, name, status, topic, url, secret, now)
        self.hooks[webhook_id] = webhook
        return webhook

    def update(self, webhook_id: int, body: dict[str, Any], now: str) -> Webhook:
        webhook = self.get(webhook_id)
        if "topic" in body and not valid_topic(str(body["topic"]).lower()):
            raise ApiError.of("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.", 400)
        if "status" in body:
            webhook.status = _status(body["status"])
        for key in ("name", "topic", "delivery_url", "secret"):
            if body.get(key):
                setattr(webhook, key, str(body[key]).lower() if key == "topic" else str(body[key]))
        webhook.date_modified = now
        return webhook

    def delete(self, webhook_id: int, force: bool) -> Webhook:
        webhook = self.get(webhook_id)
        if not force:
            raise ApiError.of("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        return self.hooks.pop(webhook.id)


def _status(value: Any) -> str:
    if value not in ("active", "paused", "disabled"):
        raise ApiError.of(
            "rest_invalid_param",
            "Invalid parameter(s): status",
            400,
            params={"status": "status is not one of active, paused, and disabled."},
        )
    return str(value)


def build_payload(state: StoreState, topic: str, resource_id: int) -> dict[str, Any]:
    """The body WooCommerce builds for ``topic`` about ``resource_id`` (KeyError if unknown)."""
    resource, _, event = topic.partition(".")
    if resource == "action":
        return {"action": event, "arg": resource_id}
    if event == "deleted":
        return {"id": resource_id}
    if resource == "order":
        if resource_id not in state.orders:
            raise KeyError(f"no order {resource_id}")
        return state.orders[resource_id]
    if resource == "product":
        if resource_id not in state.products:
            raise KeyError(f"no product {resource_id}")
        return state.render_product(state.products[resource_id])
    raise KeyError(f"the fake store has no {resource} resources")


def delivery_headers(webhook: Webhook, topic: str, body: bytes, source: str, now: float | None = None) -> list[tuple[str, str]]:
    """Headers in WooCommerce's wire order; the Delivery-ID is ``wp_hash(webhook id . second)``."""
    signature = base64.b64encode(hmac.new(webhook.secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")
    resource, _, event = topic.partition(".")
    second = int(time.time() if now is None else now)
    return [
        ("User-Agent", USER_AGENT),
        ("Accept", "*/*"),
        ("Content-Type", "application/json"),
        ("X-WC-Webhook-Source", source.rstrip("/") + "/"),
        ("X-WC-Webhook-Topic", topic),
        ("X-WC-Webhook-Resource", resource),
        ("X-WC-Webhook-Event", event),
        ("X-WC-Webhook-Signature", signature),
        ("X-WC-Webhook-ID", str(webhook.id)),
        ("X-WC-Webhook-Delivery-ID", wp_hash(f"{webhook.id}{second}")),
    ]


def ping_headers() -> list[tuple[str, str]]:
    return [("User-Agent", USER_AGENT), ("Accept", "*/*"), ("Content-Type", "application/x-www-form-urlencoded")]

