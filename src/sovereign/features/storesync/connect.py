"""Connecting a WooCommerce store: check the key, register our webhooks with a fresh secret, save it.

Re-connecting is safe: webhooks of ours (same delivery URL) are replaced, the
store row is updated, nothing is duplicated. Secrets are never printed or logged.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sovereign.store.stores import StoreRecord, StoreRepository, validate_slug
from sovereign.woo.client import WooClient
from sovereign.woo.errors import WooError

log = logging.getLogger("sovereign.connect")

TOPICS = ("order.created", "order.updated", "product.created", "product.updated")
WEBHOOK_NAME = "Sovereign"


class ConnectError(RuntimeError):
    pass


@dataclass
class ConnectResult:
    store: StoreRecord
    webhook_ids: list[int] = field(default_factory=list)
    replaced: int = 0


def slug_for(url: str) -> str:
    host = urlsplit(url).hostname or "store"
    port = urlsplit(url).port
    slug = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")
    return validate_slug(f"{slug}-{port}" if port and port not in (80, 443) else slug)


def delivery_url(public_url: str, store_id: str) -> str:
    return f"{public_url.rstrip('/')}/webhooks/woocommerce/{store_id}"


async def connect_store(
    stores: StoreRepository,
    *,
    url: str,
    consumer_key: str,
    consumer_secret: str,
    public_url: str,
    store_id: str | None = None,
    settings: dict | None = None,
    client: WooClient | None = None,
) -> ConnectResult:
    store_id = validate_slug(store_id or slug_for(url))
    own = client is None
    client = client or WooClient(url, consumer_key, consumer_secret, timeout=30.0)
    try:
        check = await client.check_credentials()
        if not check.ok:
            detail = getattr(check.error, "hint", None) or str(check.error or "")
            need = "read and write" if not check.read else "write"
            raise ConnectError(f"the key cannot {need} on {url}: {detail} (create a key with Read/Write permission)")
        webhook_secret = secrets.token_urlsafe(32)
        # The store row must exist before webhooks are created: WooCommerce pings the URL at once.
        record = await stores.upsert(
            store_id,
            url=url,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            webhook_secret=webhook_secret,
            settings=settings,
        )
        target = delivery_url(public_url, store_id)
        replaced = 0
        for hook in await client.list_webhooks():
            if hook.get("delivery_url") == target:
                await client.delete_webhook(int(hook["id"]))
                replaced += 1
        ids: list[int] = []
        for topic in TOPICS:
            created = await client.create_webhook(f"{WEBHOOK_NAME} {topic}", topic, target, webhook_secret)
            ids.append(int(created["id"]))
        await stores.set_webhooks(store_id, ids)
        log.info("connected store %s (%s): %d webhooks, %d replaced", store_id, url, len(ids), replaced)
        return ConnectResult(store=record, webhook_ids=ids, replaced=replaced)
    except WooError as exc:
        raise ConnectError(f"{url}: {getattr(exc, 'hint', None) or exc}") from exc
    finally:
        if own:
            await client.aclose()
