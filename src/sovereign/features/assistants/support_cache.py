"""The semantic cache in front of the model for shopper answers, and what may never enter it.

    key = question_key(normalize_question(q))
    hit = await cache.exact(collection, version, key)              # same question: no embedding needed
    hit = hit or await cache.similar(collection, version, vector)  # a paraphrase close enough
    await cache.put(collection, version, key, vector, answer)

Entries belong to one collection (one store's policy pages) at one policy
version: re-ingesting the policies bumps the version, so old entries are
never served again (and are deleted in the same transaction, see
``PolicyStore``). Only the normalised question's hash, its embedding and the
answer are stored. Questions carrying personal data (an email address, a
phone number, an order number) are never cached: ``cacheable`` says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np

from sovereign.store.policy_index import to_vector

__all__ = [
    "CacheHit", "SupportCache", "cacheable", "email_in", "normalize_question", "order_number_in", "personal_data",
    "question_key",
]

_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening|day))(?: there| team| all)?|"
    r"dear (?:sir|madam|team|support|customer service)[^,.!?]*)[\s,.!:;-]+",
)
_LEAD_IN = re.compile(
    r"^(?:(?:quick|short|simple) question|(?:i (?:was|am|'m) )?(?:just )?wondering|i (?:would|'d) like to know|"
    r"i (?:want|wanted|need) to (?:know|ask)|(?:can|could) (?:you|someone) (?:please )?(?:tell|let) me(?: know)?|"
    r"(?:please )?tell me|one more thing|also|so|ok(?:ay)?|um+|please)[\s,.!:;-]+",
)
_THANKS = re.compile(
    r"(?:^|[\s,.!:;-]+)(?:(?:thanks|thank you|thx|ty|cheers|many thanks|thanks a lot|thank you so much|"
    r"much appreciated|best(?: regards)?|kind regards|regards)(?: in advance)?(?:[\s,.!:;-]+|$))+$",
)
_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{7,}\d(?![\w])")
_ORDER = re.compile(
    r"(?:order|invoice|purchase)\s*(?:number|no\.?|nr\.?|id)?\s*[:#]?\s*#?\s*(\d{1,12})\b"
    r"(?!\s*(?:days?|weeks?|months?|hours?|items?|pieces?|times?|units?|x)\b)|#\s*(\d{2,12})\b",
    re.IGNORECASE,
)


def normalize_question(text: str) -> str:
    """Lower case, greetings, lead-ins and thanks removed, spacing and end punctuation unified."""
    s = _SPACE.sub(" ", text.strip().lower().replace("’", "'"))
    for _ in range(3):  # "hi! quick question: can you tell me ..."
        before = s
        s = _GREETING.sub("", s)
        s = _LEAD_IN.sub("", s)
        if s == before:
            break
    s = _THANKS.sub("", s)
    s = re.sub(r"\s*([?!.])+\s*$", "", s)
    s = re.sub(r"\s+([,;:?!.])", r"\1", s)
    return s.strip(" ,;:-") or text.strip().lower()


def personal_data(text: str) -> list[str]:
    """What personal data ``text`` carries, by kind: email, phone, order number."""
    kinds = []
    if _EMAIL.search(text):
        kinds.append("email")
    if _PHONE.search(_EMAIL.sub(" ", text)):
        kinds.append("phone")
    if _ORDER.search(text):
        kinds.append("order_number")
    return kinds


def order_number_in(text: str) -> int | None:
    m = _ORDER.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def email_in(text: str) -> str | None:
    m = _EMAIL.search(text)
    return m.group(0) if m else None


def cacheable(question: str) -> bool:
    return not personal_data(question)


def question_key(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


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
