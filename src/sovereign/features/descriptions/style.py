"""Style examples: the store's own best descriptions nearest to a product, personal data removed.

    style = StyleExamples(embedder=lambda: local_embedder())
    examples = await style.for_product("shop", woo, product, k=2)   # → ["Classic wayfarer-style …", …]

The store's published products are read once per store per ``ttl_s`` (at most
``pool_size``, newest first), filtered by ``domain.style_examples`` (merchant's
own prose: no placeholder text, no boilerplate, never our own drafts), and any
sentence in which the redactor finds personal data (emails, phone numbers,
card or bank numbers, addresses) is dropped before the text can reach a prompt.
For a product, the candidates of its category are ranked by cosine similarity
of local MiniLM embeddings (``sovereign[assistants]``); without that package,
by word overlap.

Examples are style only and optional: any failure here (store unreachable,
embedder missing) gives no examples, never a failed draft.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Iterable, Sequence

import numpy as np

from sovereign.domain import style_examples as rules
from sovereign.domain.products import Product
from sovereign.domain.style_examples import StyleCandidate
from sovereign.embeddings import Embedder, EmbeddingUnavailable
from sovereign.features.storesync.routing import DESCRIPTION_STATUS_META, DRAFT_META
from sovereign.features.store_port import StoreProducts
from sovereign.privacy.redactor import RedactionError, Redactor

__all__ = ["StyleExamples"]

log = logging.getLogger("sovereign.descriptions.style")


class StyleExamples:
    """Per process; the pools are cached per store for ``ttl_s`` seconds."""

    def __init__(
        self,
        embedder: Callable[[], Embedder] | None = None,
        *,
        redactor: Redactor | None = None,
        ttl_s: float = 3600.0,
        pool_size: int = 200,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._embedder_failed = False
        self._redactor = redactor
        self.ttl_s = ttl_s
        self.pool_size = pool_size
        self._clock = clock
        self._pools: dict[str, tuple[float, list[StyleCandidate]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def for_product(
        self, store_id: str, products: StoreProducts, product: Product, *, k: int = 2, currency: str | None = None
    ) -> list[str]:
        """Up to ``k`` example texts for ``product`` (nearest first); [] when the store has none worth showing."""
        if k <= 0:
            return []
        try:
            pool = await self.pool(store_id, products, currency=currency)
            return await self.pick(product, pool, k=k)
        except Exception as exc:  # noqa: BLE001 - style is optional: the draft goes on without examples
            log.warning("store %s: no style examples for product %s (%s)", store_id, product.id, exc)
            return []

    async def pool(self, store_id: str, products: StoreProducts, *, currency: str | None = None) -> list[StyleCandidate]:
        """The store's usable descriptions, read at most once per ``ttl_s``."""
        lock = self._locks.setdefault(store_id, asyncio.Lock())
        async with lock:
            cached = self._pools.get(store_id)
            if cached is not None and self._clock() - cached[0] < self.ttl_s:
                return cached[1]
            found: list[Product] = []
            async for raw in products.list_products(status="publish", order="desc"):
                found.append(Product.from_rest(raw, currency=currency))
                if len(found) >= self.pool_size:
                    break
            pool = await self.prepare(found)
            self._pools[store_id] = (self._clock(), pool)
            log.info("store %s: %d of %d products have descriptions worth imitating", store_id, len(pool), len(found))
            return pool

    def forget(self, store_id: str) -> None:
        """Drop a store's cached pool (its descriptions changed a lot, or it was disconnected)."""
        self._pools.pop(store_id, None)

    async def prepare(self, products: Iterable[Product]) -> list[StyleCandidate]:
        """Candidates from ``products``: the domain's rules, our own texts left out, personal data removed."""
        theirs = [p for p in products if not (p.meta.get(DESCRIPTION_STATUS_META) or p.meta.get(DRAFT_META))]
        return await self._without_personal_data(rules.candidates(theirs))

    async def pick(self, product: Product, pool: Sequence[StyleCandidate], *, k: int = 2) -> list[str]:
        """The ``k`` candidates of the product's category most similar to it."""
        near = rules.same_category(product, pool)
        if not near or k <= 0:
            return []
        query = rules.query_text(product)
        scores = await self._similarities(query, [rules.candidate_text(c) for c in near])
        order = sorted(range(len(near)), key=lambda i: (-scores[i], near[i].name))
        return [near[i].text for i in order[:k]]

    async def _similarities(self, query: str, texts: list[str]) -> list[float]:
        embedder = self._get_embedder()
        if embedder is not None:
            try:
                vectors = await embedder.embed([query, *texts])
                return [float(x) for x in np.asarray(vectors[1:] @ vectors[0])]
            except EmbeddingUnavailable as exc:
                self._embedder_failed = True
                log.warning("style examples ranked by word overlap: %s", exc)
        return [rules.word_overlap(query, t) for t in texts]

    def _get_embedder(self) -> Embedder | None:
        if self._embedder is None and self._embedder_factory is not None and not self._embedder_failed:
            self._embedder = self._embedder_factory()
        return None if self._embedder_failed else self._embedder

    async def _without_personal_data(self, pool: list[StyleCandidate]) -> list[StyleCandidate]:
        """Each candidate keeps only the sentences in which the redactor finds nothing."""
        if not pool:
            return []
        if self._redactor is None:
            self._redactor = Redactor()
        parts = [rules.sentences(c.text) for c in pool]
        flat = [s for ps in parts for s in ps]
        try:
            redacted = (await self._redactor.aredact(flat)).texts
        except RedactionError as exc:  # fail closed: no example is better than one with personal data
            log.warning("style examples dropped: redaction failed (%s)", exc)
            return []
        clean = iter(a == b for a, b in zip(flat, redacted))
        out: list[StyleCandidate] = []
        for c, ps in zip(pool, parts):
            kept = [s for s in ps if next(clean)]
            text = rules.trim_to_sentences(kept)
            if len(text) >= rules.MIN_CHARS:
                out.append(StyleCandidate(c.product_id, c.name, c.categories, text))
        return out
