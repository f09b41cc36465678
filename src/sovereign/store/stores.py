"""Connected WooCommerce stores: one row each, secrets kept out of every repr and API."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from sovereign.store.bounded import LookupCache
from sovereign.store.database import CONNECTION_LOST
from sovereign.store.secrets_box import SecretBox, is_sealed

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class StoreRecord:
    id: str
    url: str
    consumer_key: str
    consumer_secret: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)
    webhook_ids: tuple[int, ...] = ()
    last_sync_at: Any = None
    webhook_url: str | None = None  # the public URL the store delivers to (webhooks point under it)
    ca_file: str | None = None  # PEM bundle trusted for this store's certificate
    insecure_tls: bool = False  # certificate checks off, by the operator's explicit choice
    woo_settings: dict[str, Any] = field(default_factory=dict)  # what WooCommerce says (currency, units...)
    overrides: dict[str, Any] = field(default_factory=dict)  # what the operator set; wins over woo_settings

    def public(self) -> dict[str, Any]:
        """What an API or a log may show: never a secret."""
        return {
            "id": self.id,
            "url": self.url,
            "consumer_key": self.consumer_key[:7] + "…",
            "settings": self.settings,
            "webhook_ids": list(self.webhook_ids),
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
            "webhook_url": self.webhook_url,
            "ca_file": self.ca_file,
            "insecure_tls": self.insecure_tls,
        }


def validate_slug(store_id: str) -> str:
    if not _SLUG.match(store_id):
        raise ValueError("store id must be lowercase letters, digits and '-', at most 63 characters")
    return store_id


SECRET_COLUMNS = ("consumer_secret", "webhook_secret")


def secret_context(store_id: str, column: str) -> str:
    """What a sealed secret is bound to: a ciphertext moved to another row or column does not open."""
    return f"store:{store_id}:{column}"


def _from_row(r: asyncpg.Record, box: SecretBox | None = None) -> StoreRecord:
    def secret(column: str) -> str:
        value = r[column]
        return box.open(value, context=secret_context(r["id"], column)) if box is not None else value

    overrides = json.loads(r["settings"]) if r["settings"] else {}
    woo = json.loads(r["woo_settings"]) if r["woo_settings"] else {}
    return StoreRecord(
        id=r["id"],
        url=r["url"],
        consumer_key=r["consumer_key"],
        consumer_secret=secret("consumer_secret"),
        webhook_secret=secret("webhook_secret"),
        settings={**woo, **overrides},
        webhook_ids=tuple(r["webhook_ids"] or ()),
        last_sync_at=r["last_sync_at"],
        webhook_url=r["webhook_url"],
        ca_file=r["ca_file"],
        insecure_tls=bool(r["insecure_tls"]),
        woo_settings=woo,
        overrides=overrides,
    )


class StoreRepository:
    """Reads are cached for a few seconds: the webhook hot path looks a store up on every delivery.
    While the database is unreachable, the last record read is served (however old) instead of an error.

    With a ``box`` (the runtime always passes one) secrets are sealed at rest (``secrets_box``);
    without one (a tool writing test fixtures) they are written as given and sealed at the next start."""

    def __init__(self, pool: asyncpg.Pool, cache_ttl_s: float = 5.0, *, box: SecretBox | None = None) -> None:
        self.pool = pool
        self.box = box
        self._ttl = cache_ttl_s
        self._cache: LookupCache[StoreRecord] = LookupCache()  # bounded: made-up ids cannot grow it

    async def get(self, store_id: str) -> StoreRecord | None:
        hit = self._cache.get(store_id)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        try:
            r = await self.pool.fetchrow("SELECT * FROM sovereign_stores WHERE id = $1 AND removed_at IS NULL", store_id)
        except CONNECTION_LOST:
            if hit:  # the database is unreachable: the last known record, not an error (stale-if-error)
                return hit[1]
            raise
        rec = _from_row(r, self.box) if r else None
        self._cache[store_id] = (now + self._ttl, rec)
        return rec

    async def list(self) -> list[StoreRecord]:
        return [_from_row(r, self.box) for r in await self.pool.fetch("SELECT * FROM sovereign_stores WHERE removed_at IS NULL ORDER BY id")]

    async def upsert(
        self,
        store_id: str,
        *,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        webhook_secret: str,
        settings: dict[str, Any] | None = None,
        webhook_url: str | None = None,
        ca_file: str | None = None,
        insecure_tls: bool = False,
        woo_settings: dict[str, Any] | None = None,
    ) -> StoreRecord:
        """Create or update a store (a removed one comes back, its history with it). ``webhook_url``
        None keeps the one recorded; ``woo_settings`` None keeps what WooCommerce said last."""
        validate_slug(store_id)
        r = await self.pool.fetchrow(
            """
            INSERT INTO sovereign_stores (id, url, consumer_key, consumer_secret, webhook_secret, settings,
                                          webhook_url, ca_file, insecure_tls, woo_settings)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, COALESCE($10::jsonb, '{}'::jsonb))
            ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, consumer_key = EXCLUDED.consumer_key,
                consumer_secret = EXCLUDED.consumer_secret, webhook_secret = EXCLUDED.webhook_secret,
                settings = sovereign_stores.settings || EXCLUDED.settings,
                webhook_url = COALESCE($7, sovereign_stores.webhook_url),
                ca_file = EXCLUDED.ca_file, insecure_tls = EXCLUDED.insecure_tls,
                woo_settings = COALESCE($10::jsonb, sovereign_stores.woo_settings),
                removed_at = NULL, updated_at = now()
            RETURNING *
            """,
            store_id,
            url.rstrip("/"),
            consumer_key,
            self._seal(store_id, "consumer_secret", consumer_secret),
            self._seal(store_id, "webhook_secret", webhook_secret),
            json.dumps(settings or {}),
            webhook_url.rstrip("/") if webhook_url else None,
            ca_file,
            insecure_tls,
            json.dumps(woo_settings) if woo_settings is not None else None,
        )
        self._cache.pop(store_id, None)
        return _from_row(r, self.box)

    def _seal(self, store_id: str, column: str, value: str) -> str:
        return self.box.seal(value, context=secret_context(store_id, column)) if self.box is not None else value

    async def update_settings(self, store_id: str, changes: dict[str, Any]) -> None:
        await self.pool.execute(
            "UPDATE sovereign_stores SET settings = settings || $2::jsonb, updated_at = now() WHERE id = $1",
            store_id,
            json.dumps(changes),
        )
        self._cache.pop(store_id, None)

    async def set_webhooks(self, store_id: str, webhook_ids: list[int]) -> None:
        await self.pool.execute(
            "UPDATE sovereign_stores SET webhook_ids = $2, updated_at = now() WHERE id = $1", store_id, webhook_ids
        )
        self._cache.pop(store_id, None)

    async def mark_synced(self, store_id: str, at: Any) -> None:
        await self.pool.execute("UPDATE sovereign_stores SET last_sync_at = $2 WHERE id = $1", store_id, at)
        self._cache.pop(store_id, None)

    async def set_webhook_url(self, store_id: str, webhook_url: str) -> None:
        await self.pool.execute(
            "UPDATE sovereign_stores SET webhook_url = $2, updated_at = now() WHERE id = $1", store_id, webhook_url.rstrip("/")
        )
        self._cache.pop(store_id, None)

    async def set_woo_settings(self, store_id: str, woo_settings: dict[str, Any]) -> None:
        """Replace what WooCommerce said about itself (the operator's overrides stay on top)."""
        await self.pool.execute(
            "UPDATE sovereign_stores SET woo_settings = $2::jsonb, updated_at = now() WHERE id = $1",
            store_id,
            json.dumps(woo_settings),
        )
        self._cache.pop(store_id, None)

    async def remove(self, store_id: str, *, erase_history: bool = False) -> bool:
        """Disconnect: forget the secrets. With ``erase_history`` the row goes and its events with it
        (ON DELETE CASCADE); otherwise the row stays, marked removed, so its history can be read."""
        if erase_history:
            res = await self.pool.execute("DELETE FROM sovereign_stores WHERE id = $1", store_id)
        else:
            res = await self.pool.execute(
                "UPDATE sovereign_stores SET consumer_secret = '', webhook_secret = '', webhook_ids = '{}', "
                "removed_at = now(), updated_at = now() WHERE id = $1 AND removed_at IS NULL",
                store_id,
            )
        self._cache.pop(store_id, None)
        return res.split()[-1] != "0"

    async def insecure(self) -> list[str]:
        """Ids of the stores whose certificate is not checked."""
        rows = await self.pool.fetch(
            "SELECT id FROM sovereign_stores WHERE insecure_tls AND removed_at IS NULL ORDER BY id"
        )
        return [r["id"] for r in rows]

    # --- secrets at rest -------------------------------------------------------------------------

    async def seal_secrets(self, *, reseal: bool = False) -> int:
        """Open every stored secret (a wrong or missing key raises ``SecretKeyError`` before anything
        changes) and seal again those that are plaintext or, with ``reseal``, under an older key.
        One transaction: a failure leaves every row as it was. Returns the rows rewritten."""
        box = self.box
        if box is None:
            raise RuntimeError("seal_secrets needs a SecretBox")
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch("SELECT id, consumer_secret, webhook_secret FROM sovereign_stores ORDER BY id FOR UPDATE")
            changes: list[tuple[str, str, str]] = []
            for r in rows:
                opened = {c: box.open(r[c], context=secret_context(r["id"], c)) for c in SECRET_COLUMNS}
                stale = [c for c in SECRET_COLUMNS if r[c] and (not is_sealed(r[c]) or (reseal and box.needs_reseal(r[c])))]
                if stale:
                    changes.append((r["id"], *(self._seal(r["id"], c, opened[c]) if c in stale else r[c]
                                               for c in SECRET_COLUMNS)))
            for store_id, consumer_secret, webhook_secret in changes:
                await conn.execute(
                    "UPDATE sovereign_stores SET consumer_secret = $2, webhook_secret = $3 WHERE id = $1",
                    store_id, consumer_secret, webhook_secret,
                )
        self._cache.clear()
        return len(changes)

    async def secret_key_ids(self) -> dict[str, int]:
        """How many stored secrets each key id sealed (``plaintext`` for those not sealed)."""
        rows = await self.pool.fetch(
            "SELECT CASE WHEN v LIKE 'v1:%' THEN split_part(v, ':', 2) ELSE 'plaintext' END AS kid, count(*) AS n "
            "FROM sovereign_stores, unnest(ARRAY[consumer_secret, webhook_secret]) AS v WHERE v <> '' GROUP BY 1"
        )
        return {r["kid"]: int(r["n"]) for r in rows}

    async def plaintext_secret_stores(self) -> int:
        """Stores with a secret stored in plaintext (``bench``: must be 0 once the service has started)."""
        return int(await self.pool.fetchval(
            "SELECT count(*) FROM sovereign_stores WHERE (consumer_secret <> '' AND consumer_secret NOT LIKE 'v1:%') "
            "OR (webhook_secret <> '' AND webhook_secret NOT LIKE 'v1:%')"
        ))
