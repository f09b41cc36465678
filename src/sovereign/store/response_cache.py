"""The gateway's response cache in PostgreSQL (the ``ResponseCache`` port)."""

from __future__ import annotations

import json

import asyncpg

from sovereign.gateway.cache import result_from_dict, result_to_dict
from sovereign.gateway.types import ChatResult


class PostgresResponseCache:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.hits = 0
        self.misses = 0

    async def get(self, key: str) -> ChatResult | None:
        raw = await self.pool.fetchval(
            "SELECT result FROM sovereign_response_cache WHERE key = $1 AND expires_at > now()", key
        )
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        return result_from_dict(json.loads(raw))

    async def put(self, key: str, result: ChatResult, ttl: float) -> None:
        await self.pool.execute(
            "INSERT INTO sovereign_response_cache (key, result, expires_at) "
            "VALUES ($1, $2::jsonb, now() + make_interval(secs => $3)) "
            "ON CONFLICT (key) DO UPDATE SET result = EXCLUDED.result, expires_at = EXCLUDED.expires_at",
            key,
            json.dumps(result_to_dict(result)),
            float(ttl),
        )

    async def purge_expired(self) -> int:
        res = await self.pool.execute("DELETE FROM sovereign_response_cache WHERE expires_at <= now()")
        return int(res.split()[-1])
