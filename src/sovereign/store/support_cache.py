"""The shopper-support answer cache in PostgreSQL: exact and semantic hits, per collection and policy version.

An answer is cached for one policy version: when the collection's documents
change, its version moves on and older answers are never served again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from sovereign.store.policy_index import to_vector

__all__ = ["CacheHit", "SupportCache"]


@dataclass(frozen=True)
class CacheHit:
    entry: int
    answer: dict[str, Any]
    similarity: float  # 1.0 for an exact (normalised) match


class SupportCache:
    def __init__(self, pool: asyncpg.Pool, *, min_similarity: float, max_entries: int = 5000) -> None:
        self.pool = pool
        self.min_similarity = min_similarity
        self.max_entries = max_entries

    async def exact(self, collection: str, version: int, key: str) -> CacheHit | None:
        r = await self.pool.fetchrow(
            "UPDATE sovereign_support_cache SET hits = hits + 1, last_hit_at = now() "
            "WHERE collection = $1 AND policy_version = $2 AND question_key = $3 RETURNING id, answer",
            collection, version, key,
        )
        return CacheHit(r["id"], json.loads(r["answer"]), 1.0) if r else None

    async def similar(self, collection: str, version: int, vector: np.ndarray) -> CacheHit | None:
        r = await self.pool.fetchrow(
            "WITH best AS (SELECT id, 1 - (embedding <=> $3::vector) AS sim FROM sovereign_support_cache "
            "WHERE collection = $1 AND policy_version = $2 ORDER BY embedding <=> $3::vector LIMIT 1) "
            "UPDATE sovereign_support_cache c SET hits = c.hits + 1, last_hit_at = now() FROM best "
            "WHERE c.id = best.id AND best.sim >= $4 RETURNING c.id, c.answer, best.sim",
            collection, version, to_vector(vector), self.min_similarity,
        )
        return CacheHit(r["id"], json.loads(r["answer"]), float(r["sim"])) if r else None

    async def put(self, collection: str, version: int, key: str, vector: np.ndarray, answer: dict[str, Any]) -> int | None:
        """Store an answer; returns its entry id (None when the version moved on meanwhile)."""
        async with self.pool.acquire() as conn, conn.transaction():
            current = await conn.fetchval(
                "SELECT version FROM sovereign_policy_collections WHERE name = $1 FOR SHARE", collection
            )
            if int(current or 0) != version:
                return None  # the policies changed while we were answering: this answer is already stale
            entry = await conn.fetchval(
                "INSERT INTO sovereign_support_cache (collection, policy_version, question_key, embedding, answer) "
                "VALUES ($1, $2, $3, $4::vector, $5::jsonb) ON CONFLICT (collection, policy_version, question_key) "
                "DO UPDATE SET answer = sovereign_support_cache.answer RETURNING id",
                collection, version, key, to_vector(vector), json.dumps(answer),
            )
            await conn.execute(
                "DELETE FROM sovereign_support_cache WHERE id IN (SELECT id FROM sovereign_support_cache "
                "WHERE collection = $1 AND policy_version = $2 "
                "ORDER BY coalesce(last_hit_at, created_at) DESC OFFSET $3)",
                collection, version, self.max_entries,
            )
        return int(entry)

    async def entries(self, collection: str) -> int:
        return int(await self.pool.fetchval(
            "SELECT count(*) FROM sovereign_support_cache WHERE collection = $1", collection
        ))
