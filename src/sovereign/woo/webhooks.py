"""WooCommerce webhook deliveries: verification and parsing, no I/O.

What WooCommerce 10 sends (see the captured fixtures):

* a delivery is a JSON ``POST`` with ``X-WC-Webhook-Source`` (site URL with a
  trailing slash), ``-Topic``, ``-Resource``, ``-Event``, ``-Signature``, ``-ID``
  and ``-Delivery-ID``. The signature is ``base64(HMAC-SHA256(secret, raw body))``
  and the body is PHP ``json_encode`` output (``\\/`` and ``\\uXXXX`` escapes), so
  it must be verified on the raw bytes, before any parsing;
* on creation a webhook is pinged with the form body ``webhook_id=N``, no
  ``X-WC-*`` headers and no signature; the ping must be answered 200;
* ``X-WC-Webhook-Delivery-ID`` is shared by many deliveries (it hashes the
  webhook id and the second), so deliveries are deduplicated on
  (store, topic, resource id, sha256 of body) instead: ``WebhookDelivery.dedupe_key``.

The receiving endpoint does, in this order::

    if is_ping(headers, raw): return 200
    if not verify_signature(raw, header(headers, "X-WC-Webhook-Signature"), secret): return 401
    delivery = parse_delivery(raw, headers)        # InvalidDelivery -> 400
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Union

from sovereign.domain.untrusted_json import UntrustedJson, load_untrusted

__all__ = [
    "Headers",
    "InvalidDelivery",
    "WebhookDelivery",
    "header",
    "signature_for",
    "verify_signature",
    "is_ping",
    "ping_webhook_id",
    "parse_delivery",
    "strip_autop",
]

Headers = Union[Mapping[str, str], Iterable[tuple[Union[str, bytes], Union[str, bytes]]]]

_PING = re.compile(rb"\s*webhook_id=(\d+)\s*")
_REQUIRED = {
    "topic": "X-WC-Webhook-Topic",
    "resource": "X-WC-Webhook-Resource",
    "event": "X-WC-Webhook-Event",
    "webhook_id": "X-WC-Webhook-ID",
    "delivery_id": "X-WC-Webhook-Delivery-ID",
    "source": "X-WC-Webhook-Source",
}


class InvalidDelivery(ValueError):
    """The request is not a well-formed WooCommerce webhook delivery."""


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    topic: str
    resource: str
    event: str
    webhook_id: int
    delivery_id: str
    source: str
    resource_id: int | None
    body: dict[str, Any] = field(hash=False, repr=False)
    body_sha256: str
    date_modified_gmt: str | None = None

    @property
    def is_action(self) -> bool:
        """``action.*`` topics carry ``{"action", "arg"}``; ``resource_id`` is then the ``arg``."""
        return self.resource == "action"

    def dedupe_key(self, store: str) -> str:
        """Identity of this delivery: retries of it (and only they) share the key."""
        rid = "-" if self.resource_id is None else str(self.resource_id)
        return f"{store}:{self.topic}:{rid}:{self.body_sha256}"

    def content_key(self, store: str) -> str:
        """Identity of the resource state, across topics: order.created and the order.updated
        WooCommerce sends for the same REST create share it (their bodies are identical)."""
        rid = "-" if self.resource_id is None else str(self.resource_id)
        return f"{store}:{self.resource}:{rid}:{self.body_sha256}"

    def meta(self, key: str, default: Any = None) -> Any:
        """Value of the first ``meta_data`` entry named ``key``."""
        entries = self.body.get("meta_data")
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and entry.get("key") == key:
                return entry.get("value")
        return default


def header(headers: Headers, name: str) -> str | None:
    """Case-insensitive header lookup over a mapping, Starlette ``Headers`` or ASGI byte pairs."""
    wanted = name.lower()
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        k = key.decode("latin-1") if isinstance(key, bytes) else key
        if k.lower() == wanted:
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None


def signature_for(raw: bytes, secret: str) -> str:
    """``base64(HMAC-SHA256(secret, raw))``: the ``X-WC-Webhook-Signature`` WooCommerce computes."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).digest()).decode("ascii")


def verify_signature(raw: bytes, signature_header: str | None, secret: str) -> bool:
    """Constant-time check of the raw body against the signature header."""
    if not signature_header or not secret:
        return False
    try:
        given = signature_header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given, signature_for(raw, secret).encode("ascii"))


def ping_webhook_id(headers: Headers, raw: bytes) -> int | None:
    """The webhook id of a creation ping, or ``None`` when this is not a ping."""
    if header(headers, "X-WC-Webhook-Topic") is not None or header(headers, "X-WC-Webhook-Signature") is not None:
        return None
    match = _PING.fullmatch(raw)
    return int(match.group(1)) if match else None


def is_ping(headers: Headers, raw: bytes) -> bool:
    """WooCommerce's creation ping: form body ``webhook_id=N``, no topic, no signature."""
    return ping_webhook_id(headers, raw) is not None


def parse_delivery(raw: bytes, headers: Headers) -> WebhookDelivery:
    """Read a delivery's headers and JSON body. Verify the signature first; this does not."""
    values: dict[str, str] = {}
    for attr, name in _REQUIRED.items():
        value = header(headers, name)
        if value is None or not value.strip():
            raise InvalidDelivery(f"missing header {name}")
        values[attr] = value.strip()
    topic, resource, event = values["topic"], values["resource"], values["event"]
    if topic != f"{resource}.{event}":
        raise InvalidDelivery(f"topic {topic!r} does not match resource {resource!r} and event {event!r}")
    if not values["webhook_id"].isdigit():
        raise InvalidDelivery(f"X-WC-Webhook-ID is not a number: {values['webhook_id']!r}")
    try:
        body = load_untrusted(raw)
    except UntrustedJson as exc:
        raise InvalidDelivery(f"body is not JSON we can take: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidDelivery("body is not a JSON object")
    modified = body.get("date_modified_gmt")
    return WebhookDelivery(
        topic=topic,
        resource=resource,
        event=event,
        webhook_id=int(values["webhook_id"]),
        delivery_id=values["delivery_id"],
        source=values["source"],
        resource_id=_resource_id(body.get("arg") if resource == "action" else body.get("id")),
        body=body,
        body_sha256=hashlib.sha256(raw).hexdigest(),
        date_modified_gmt=modified if isinstance(modified, str) else None,
    )


def _resource_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


_P_BREAK = re.compile(r"</p>\s*<p>")
_BR = re.compile(r"<br\s*/?>\s*\n?")


def strip_autop(html: str) -> str:
    """Undo WordPress ``wpautop`` (what GET and webhook bodies do to ``description``) for comparisons.

    ``<p>a</p>\\n<p>b</p>\\n`` becomes ``a\\n\\nb`` and ``<br />\\n`` a newline; text
    that was never wrapped comes back stripped of outer whitespace only.
    """
    text = html.strip()
    if not (text.startswith("<p>") and text.endswith("</p>")):
        return text
    text = _P_BREAK.sub("\n\n", text[3:-4])
    return _BR.sub("\n", text).strip()
