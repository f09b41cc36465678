"""API keys: created and revoked by the operator, hashed at rest, scoped, rate-limited.

A key looks like ``sk-sov-<id>-<secret>``. Only sha256(key) is stored; the
full key is shown once, at creation. Scopes: the models a key may use (empty
= all), the data class its requests carry, the features it may call (empty =
all), its own requests-per-minute limit, and whether sampled requests may be
answered from the response cache (``cache_sampled``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

import asyncpg
from cachetools import LRUCache

from sovereign.store.bounded import LookupCache
from sovereign.store.database import CONNECTION_LOST
from sovereign.tokenbucket import TokenBucket

PREFIX = "sk-sov-"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    models: tuple[str, ...]
    data_class: str
    features: tuple[str, ...]
    rate_per_minute: int
    revoked: bool = False
    cache_sampled: bool = False  # sampled requests (temperature > 0, no seed) may be answered from the cache

    def allows_model(self, model: str) -> bool:
        return not self.models or model in self.models

    def allows_feature(self, feature: str) -> bool:
        return not self.features or feature in self.features


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _from_row(r: asyncpg.Record) -> ApiKey:
    return ApiKey(
        id=r["id"],
        name=r["name"],
        models=tuple(r["models"]),
        data_class=r["data_class"],
        features=tuple(r["features"]),
        rate_per_minute=r["rate_per_minute"],
        revoked=r["revoked_at"] is not None,
        cache_sampled=bool(r["cache_sampled"]),
    )


@dataclass
class KeyRateLimiter:
    """Per-key token bucket, in process (each API process enforces its own share)."""

    buckets: "LRUCache[str, TokenBucket]" = field(default_factory=lambda: LRUCache(maxsize=4096))

    def take(self, key: ApiKey) -> float:
        """0 if the request may go now, else the seconds until it may (for Retry-After)."""
        if key.rate_per_minute <= 0:
            return 0.0
        bucket = self.buckets.get(key.id)
        if bucket is None or bucket.capacity != key.rate_per_minute:  # new, or the key's rate was changed
            bucket = self.buckets[key.id] = TokenBucket(key.rate_per_minute)
        return bucket.acquire(1.0)


class ApiKeyRepository:
    def __init__(self, pool: asyncpg.Pool, cache_ttl_s: float = 5.0) -> None:
        self.pool = pool
        self._ttl = cache_ttl_s
        self._cache: LookupCache[ApiKey] = LookupCache()  # bounded: made-up ids cannot grow it

    async def create(
        self,
        name: str,
        *,
        models: list[str] | None = None,
        data_class: str = "public",
        features: list[str] | None = None,
        rate_per_minute: int = 60,
        cache_sampled: bool = False,
    ) -> tuple[ApiKey, str]:
        """Create a key; returns it and the full secret key (shown once, never stored)."""
        key_id = secrets.token_hex(4)
        full = f"{PREFIX}{key_id}-{secrets.token_urlsafe(24)}"
        r = await self.pool.fetchrow(
            "INSERT INTO sovereign_api_keys (id, name, secret_hash, models, data_class, features, rate_per_minute, "
            "cache_sampled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            key_id, name, _hash(full), models or [], data_class, features or [], rate_per_minute, cache_sampled,
        )
        return _from_row(r), full

    async def list(self) -> list[ApiKey]:
        return [_from_row(r) for r in await self.pool.fetch("SELECT * FROM sovereign_api_keys ORDER BY created_at")]

    async def revoke(self, key_id: str) -> bool:
        res = await self.pool.execute(
            "UPDATE sovereign_api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", key_id
        )
        self._cache.clear()
        return res.endswith("1")

    async def authenticate(self, presented: str | None) -> ApiKey | None:
        """The key's record if ``presented`` is a valid, unrevoked key; else None (constant-time compare).

        While the database is unreachable, a key checked before is judged as it was then (a revocation
        made meanwhile takes effect when the database is back)."""
        if not presented or not presented.startswith(PREFIX):
            return None
        key_id = presented[len(PREFIX):].split("-", 1)[0]
        digest = _hash(presented)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit and hit[0] > now:
            return hit[1]
        try:
            r = await self.pool.fetchrow("SELECT * FROM sovereign_api_keys WHERE id = $1", key_id)
        except CONNECTION_LOST:
            if hit:  # the database is unreachable: keep answering for keys already checked (stale-if-error)
                return hit[1]
            raise
        key = None
        if r is not None and hmac.compare_digest(r["secret_hash"], digest) and r["revoked_at"] is None:
            key = _from_row(r)
        self._cache[digest] = (now + self._ttl, key)
        return key
