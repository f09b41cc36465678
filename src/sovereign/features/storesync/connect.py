"""Connecting a WooCommerce store: check the key, read the store's settings, register our webhooks
with a fresh secret at the public URL, save it all on the store record.

Re-connecting is safe: webhooks of ours (same delivery URL, or our name on our path for this store)
are replaced, the store row is updated, nothing is duplicated. Secrets are never printed or logged.
Whether the webhooks then reach us is proven by ``stores.roundtrip``.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sovereign.features.storesync.webhooks import TOPICS, WEBHOOK_NAME, delivery_url, ours
from sovereign.features.storesync.woo_settings import read_store_settings
from sovereign.store.stores import StoreRecord, StoreRepository, validate_slug
from sovereign.store.webhook_receipts import WebhookReceipts
from sovereign.woo.client import CredentialCheck, WooClient
from sovereign.woo.errors import AuthenticationError, PermissionDeniedError, UnknownKeyError, WooError, describe
from sovereign.woo.tls import TlsConfigError, verify_for

__all__ = ["TOPICS", "WEBHOOK_NAME", "ConnectError", "ConnectResult", "connect_store", "delivery_url", "slug_for", "key_problem"]

log = logging.getLogger("sovereign.connect")


class ConnectError(RuntimeError):
    pass


@dataclass
class ConnectResult:
    store: StoreRecord
    webhook_ids: list[int] = field(default_factory=list)
    replaced: int = 0
    since: datetime | None = None  # database time just before the webhooks were created
    woo_settings: dict[str, Any] = field(default_factory=dict)


def slug_for(url: str) -> str:
    host = urlsplit(url).hostname or "store"
    port = urlsplit(url).port
    slug = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")
    return validate_slug(f"{slug}-{port}" if port and port not in (80, 443) else slug)


def key_problem(check: CredentialCheck, url: str) -> str:
    """What is wrong with the key pair, in words that point the right way."""
    error = check.error
    said = f" (the store said: {error.message})" if error is not None and error.message else ""
    if isinstance(error, AuthenticationError):
        return (f"the consumer key and secret do not match on {url}{said}: copy the secret again "
                "(WooCommerce shows it once, when the key is created), or create a new key pair")
    if isinstance(error, UnknownKeyError):
        return (f"the store does not know this consumer key{said}: it was revoked or mistyped, or the "
                "credentials never reached WooCommerce (over plain HTTP a proxy may strip them)")
    need = "read or write" if not check.read else "write"
    if isinstance(error, PermissionDeniedError) or error is None:
        return f"the key cannot {need} on {url}{said}: edit the key (WooCommerce > Settings > Advanced > REST API) and give it Read/Write permission"
    return f"the key was refused on {url}: {describe(error)}"


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
    ca_file: str | Path | None = None,
    insecure_tls: bool = False,
    global_ca_bundle: str | Path | None = None,
) -> ConnectResult:
    store_id = validate_slug(store_id or slug_for(url))
    own = client is None
    if client is None:
        try:
            verify = verify_for(ca_file, insecure=insecure_tls, global_bundle=global_ca_bundle)
        except TlsConfigError as exc:
            raise ConnectError(str(exc)) from None
        client = WooClient(url, consumer_key, consumer_secret, timeout=30.0, verify=verify)
    try:
        check = await client.check_credentials()
        if not check.ok:
            raise ConnectError(key_problem(check, url))
        woo_settings = await read_store_settings(client)
        webhook_secret = secrets.token_urlsafe(32)
        # The store row must exist before webhooks are created: WooCommerce pings the URL at once.
        record = await stores.upsert(
            store_id,
            url=url,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            webhook_secret=webhook_secret,
            settings=settings,
            webhook_url=public_url,
            ca_file=str(Path(ca_file).expanduser().resolve()) if ca_file else None,
            insecure_tls=insecure_tls,
            woo_settings=woo_settings,
        )
        target = delivery_url(public_url, store_id)
        replaced = 0
        for hook in await ours(client, store_id, target):
            await client.delete_webhook(int(hook["id"]))
            replaced += 1
        since = await WebhookReceipts(stores.pool).now()
        ids: list[int] = []
        for topic in TOPICS:
            created = await client.create_webhook(f"{WEBHOOK_NAME} {topic}", topic, target, webhook_secret)
            ids.append(int(created["id"]))
        await stores.set_webhooks(store_id, ids)
        log.info("connected store %s (%s): %d webhooks, %d replaced", store_id, url, len(ids), replaced)
        return ConnectResult(store=record, webhook_ids=ids, replaced=replaced, since=since, woo_settings=woo_settings)
    except WooError as exc:
        raise ConnectError(f"{url}: {describe(exc)}") from exc
    finally:
        if own:
            await client.aclose()
