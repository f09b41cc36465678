"""Customer answers: shipping, returns and store policies from the store's own pages; order status by lookup.

    desk = assistants(runtime).support
    reply = await desk.answer(store, "How long do returns take?")
    reply = await desk.answer(store, "Where is my order?", order_number=85, email="k@example.com")
    reply.kind, reply.outcome, reply.answer, reply.cached, reply.sources

Order questions (an order number in the request or the question) go to
``support_orders``: looked up through WooCommerce, answered only when the
billing email matches, never cached, no model. Policy questions are answered
from the store's collection (``store:<id>``, ingested like HR policies) by the
model, grounded like HR answers, with the citations listed as ``sources``.
A semantic cache sits in front of the model: an exact (normalised) repeat or a
question whose embedding is at least ``cache_min_similarity`` close to an
answered one, same store, same policy version, is served from the cache.
Questions carrying personal data are neither cached nor served from the cache.
When the model is unavailable, the closest passage is quoted (not cached).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from sovereign.embeddings import Embedder
from sovereign.gateway import CUSTOMER_PERSONAL, PUBLIC, ChatRequest, Gateway, GatewayError
from sovereign.domain.money import PriceFormat
from sovereign.store.stores import StoreRecord

from sovereign.features.assistants.answer import ground, prompt, relevant, strip_citations
from sovereign.features.assistants.audit import AssistantSettings, AuditEntry, AuditLog
from sovereign.store.policy_index import Passage, PolicyStore, collection_for_store
from sovereign.features.assistants.support_cache import cacheable, email_in, normalize_question, order_number_in, question_key
from sovereign.store.support_cache import SupportCache
from sovereign.features.assistants.support_orders import order_status

__all__ = ["FEATURE", "SupportAnswer", "SupportDesk"]

FEATURE = "support"
NOT_COVERED = ("The store's policies do not answer this question. Please contact the store directly and "
               "they will be happy to help.")
UNAVAILABLE = "We cannot write an answer right now. This part of the store's policies looks relevant:"


@dataclass
class SupportAnswer:
    kind: str  # policy | order
    outcome: str  # answered | not_in_policies | passages | order_found | order_not_found | order_needs_email ...
    answer: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    cached: bool = False
    cache_entry: int | None = None  # the cache entry served or written (None: not cacheable / not cached)
    similarity: float | None = None  # of a cache hit
    policy_version: int | None = None
    latency_ms: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "outcome": self.outcome,
            "answer": self.answer,
            "sources": self.sources,
            "cached": self.cached,
            "cache_entry": self.cache_entry,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "policy_version": self.policy_version,
            "elapsed_ms": round(self.latency_ms, 2),
        }


class SupportDesk:
    def __init__(
        self,
        store: PolicyStore,
        embedder: Embedder,
        gateway: Gateway,
        audit: AuditLog,
        settings: AssistantSettings,
        *,
        woo: Callable[[StoreRecord], Any],
    ) -> None:
        self.store, self.embedder, self.gateway, self.audit, self.settings = store, embedder, gateway, audit, settings
        self.woo = woo
        self.cache = SupportCache(
            store.pool, min_similarity=settings.cache_min_similarity, max_entries=settings.cache_max_entries
        )

    async def answer(
        self,
        store: StoreRecord,
        question: str,
        *,
        order_number: int | None = None,
        email: str | None = None,
        api_key_id: str | None = None,
    ) -> SupportAnswer:
        start = time.monotonic()
        question = question.strip()
        number = order_number if order_number is not None else order_number_in(question)
        if number is not None:
            status = await order_status(
                self.woo(store).get_order, number, email or email_in(question), PriceFormat.of(store.settings)
            )
            reply = SupportAnswer("order", status.outcome, status.answer)
        else:
            reply = await self._policy_answer(store, question)
        reply.latency_ms = (time.monotonic() - start) * 1000.0
        await self.audit.record(AuditEntry(
            FEATURE, ("cached" if reply.cached else reply.outcome), question, reply.answer, api_key_id,
            [collection_for_store(store.id)], [s["label"] for s in reply.sources], latency_ms=reply.latency_ms,
        ))
        return reply

    async def _policy_answer(self, store: StoreRecord, question: str) -> SupportAnswer:
        collection = collection_for_store(store.id)
        version = await self.store.version(collection)
        normalized = normalize_question(question)
        use_cache = cacheable(question)
        key = question_key(normalized)
        if use_cache:
            hit = await self.cache.exact(collection, version, key)
            if hit is not None:
                return _from_cache(hit.answer, hit.entry, hit.similarity, version)
        (vector,) = await self.embedder.embed([normalized])
        if use_cache:
            hit = await self.cache.similar(collection, version, vector)
            if hit is not None:
                return _from_cache(hit.answer, hit.entry, hit.similarity, version)
        passages = await self.store.search(
            [collection], vector, limit=self.settings.top_k, min_score=self.settings.min_similarity
        )
        reply, reusable = await self._compose(question, vector, passages, personal=not use_cache)
        reply.policy_version = version
        if use_cache and reusable:
            stored = {"outcome": reply.outcome, "answer": reply.answer, "sources": reply.sources}
            reply.cache_entry = await self.cache.put(collection, version, key, vector, stored)
        return reply

    async def _compose(
        self, question: str, vector: np.ndarray, passages: list[Passage], *, personal: bool
    ) -> tuple[SupportAnswer, bool]:
        """The answer, and whether it may be reused for other shoppers (model answers and refusals only)."""
        if not passages:
            return SupportAnswer("policy", "not_in_policies", NOT_COVERED), True
        request = ChatRequest(
            messages=prompt(question, passages, audience="shopper"),
            feature=FEATURE,
            data_class=CUSTOMER_PERSONAL if personal else PUBLIC,
            deadline=time.monotonic() + self.settings.support_timeout_s,
            max_tokens=min(self.settings.max_tokens, 200),
            temperature=0.0,
        )
        try:
            result = await self.gateway.complete(request)
        except GatewayError:
            return _quote(passages[0]), False
        grounded = ground(result.text, passages)
        if grounded.declined:
            return SupportAnswer("policy", "not_in_policies", NOT_COVERED), True
        if not grounded.answered or not relevant(
            vector, await self.embedder.embed([c.text for c in grounded.claims]), self.settings.min_similarity
        ):
            return _quote(passages[0]), False
        sources = [p.as_json(with_text=False) for p in grounded.citations]
        return SupportAnswer("policy", "answered", strip_citations(grounded.text), sources), True


def _quote(p: Passage) -> SupportAnswer:
    words = p.text.split()
    excerpt = " ".join(words[:60]) + ("…" if len(words) > 60 else "")
    return SupportAnswer("policy", "passages", f"{UNAVAILABLE} “{excerpt}”", [p.as_json(with_text=False)])


def _from_cache(stored: dict[str, Any], entry: int, similarity: float, version: int) -> SupportAnswer:
    return SupportAnswer(
        "policy", stored["outcome"], stored["answer"], list(stored.get("sources", [])), cached=True,
        cache_entry=entry, similarity=similarity, policy_version=version,
    )
