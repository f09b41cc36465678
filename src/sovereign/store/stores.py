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

    def public(self) -> dict[str, Any]:
        """What an API or a log may show: never a secret."""
        return {
            "id": self.id,
            "url": self.url,
            "consumer_key": self.consumer_key[:7] + "…",
            "settings": self.settings,
            "webhook_ids": list(self.webhook_ids),
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
        }


def validate_slug(store_id: str) -> str:
    if not _SLUG.match(store_id):
        raise ValueError("store id must be lowercase letters, digits and '-', at most 63 characters")
    return store_id


def _from_row(r: asyncpg.Record) -> StoreRecord:
    return StoreRecord(
        id=r["id"],
        url=r["url"],
        consumer_key=r["consumer_key"],
        consumer_secret=r["consumer_secret"],
        webhook_secret=r["webhook_secret"],
        settings=json.loads(r["settings"]) if r["settings"] else {},
        webhook_ids=tuple(r["webhook_ids"] or ()),
        last_sync_at=r["last_sync_at"],
    )


class StoreRepository:
    """Reads are cached for a few seconds: the webhook hot path looks a store up on every delivery.
    While the database is unreachable, the last record read is served (however old) instead of an error."""

    def __init__(self, pool: asyncpg.Pool, cache_ttl_s: float = 5.0) -> None:
        self.pool = pool
        self._ttl = cache_ttl_s
        self._cache: LookupCache[StoreRecord] = LookupCache()  # bounded: made-up ids cannot grow it

    async def get(self, store_id: str) -> StoreRecord | None:
        hit = self._cache.get(store_id)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        try:
            r = await self.pool.fetchrow("SELECT * FROM sovereign_stores WHERE id = $1", store_id)
        except CONNECTION_LOST:
            if hit:  # the database is unreachable: the last known record, not an error (stale-if-error)
                return hit[1]
            raise
        rec = _from_row(r) if r else None
        self._cache[store_id] = (now + self._ttl, rec)
        return rec

    async def list(self) -> list[StoreRecord]:
        return [_from_row(r) for r in await self.pool.fetch("SELECT * FROM sovereign_stores ORDER BY id")]

    async def upsert(
        self,
        store_id: str,
        *,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        webhook_secret: str,
        settings: dict[str, Any] | None = None,
    ) -> StoreRecord:
        validate_slug(store_id)
        r = await self.pool.fetchrow(
            """
            INSERT INTO sovereign_stores (id, url, consumer_key, consumer_secret, webhook_secret, settings)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, consumer_key = EXCLUDED.consumer_key,
                consumer_secret = EXCLUDED.consumer_secret, webhook_secret = EXCLUDED.webhook_secret,
                settings = sovereign_stores.settings || EXCLUDED.settings, updated_at = now()
            RETURNING *
            """,
            store_id,
            url.rstrip("/"),
            consumer_key,
            consumer_secret,
            webhook_secret,
            json.dumps(settings or {}),
        )
        self._cache.pop(store_id, None)
        return _from_row(r)

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
