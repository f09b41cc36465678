"""The store's own descriptions as style examples for new drafts: which ones are worth imitating. Pure.

A draft for a product with no description is written in the store's voice when
the model sees two of the store's own good descriptions of similar products
(same category, nearest by meaning). "Good" is decided here:

* written by the merchant: never a product that carries Sovereign's own draft or
  description (the caller leaves those out; imitating ourselves would drift);
* real prose: not theme placeholder text (WooCommerce's sample data ships
  "Pellentesque habitant morbi…" on most products), not one boilerplate text
  pasted on many products, not a few words;
* short enough to show style: whole sentences up to :data:`EXAMPLE_CHARS`.

Personal data is removed by the caller (``features.descriptions.style``), which
has the redactor. Similarity has two forms: cosine of embeddings when the
caller has an embedder, else word overlap (:func:`word_overlap`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from sovereign.domain.descriptions import real_categories
from sovereign.domain.products import Product

__all__ = [
    "EXAMPLE_CHARS",
    "StyleCandidate",
    "candidates",
    "candidate_text",
    "is_placeholder",
    "query_text",
    "same_category",
    "sentences",
    "trim_to_sentences",
    "word_overlap",
]

EXAMPLE_CHARS = 300  # what the prompt shows of one example (domain.grounded cuts there too)
MIN_CHARS = 60  # shorter is a label, not a description
BOILERPLATE_PRODUCTS = 3  # the same text on this many products is a template, not a voice

# Words of the "Lorem ipsum" family that themes and WooCommerce's sample data use as filler.
_FILLER = frozenset({
    "lorem", "ipsum", "dolor", "amet", "consectetur", "adipiscing", "elit", "pellentesque", "habitant",
    "morbi", "tristique", "senectus", "netus", "malesuada", "fames", "turpis", "egestas", "vestibulum",
    "tortor", "feugiat", "ultricies", "sagittis", "aenean", "donec", "eleifend", "mauris", "quisque",
    "faucibus", "vivamus", "curabitur", "nulla", "nullam", "aliquam", "tincidunt", "dictum",
})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?]+[.!?]+(?=\s|$)|[^.!?]+$")


@dataclass(frozen=True, slots=True)
class StyleCandidate:
    """One of the store's descriptions that may be shown as style."""

    product_id: int | None
    name: str
    categories: tuple[str, ...]
    text: str  # plain text, whole sentences, at most EXAMPLE_CHARS


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def is_placeholder(text: str) -> bool:
    """Theme filler ("Lorem ipsum…", "Pellentesque habitant…"): one filler word in ten is enough."""
    tokens = words(text)
    if not tokens:
        return True
    filler = sum(1 for w in tokens if w in _FILLER)
    return filler * 10 >= len(tokens)


def sentences(text: str) -> list[str]:
    """The text's sentences, whitespace collapsed."""
    flat = re.sub(r"\s+", " ", text).strip()
    return [s.strip() for s in _SENTENCE.findall(flat) if s.strip()]


def trim_to_sentences(parts: Sequence[str], limit: int = EXAMPLE_CHARS) -> str:
    """Whole sentences from the start, as many as fit in ``limit`` characters (none cut)."""
    kept: list[str] = []
    for s in parts:
        if len(" ".join([*kept, s])) > limit:
            break
        kept.append(s)
    return " ".join(kept)


def candidates(products: Iterable[Product]) -> list[StyleCandidate]:
    """The descriptions among ``products`` worth imitating (see the module's rules)."""
    texts: list[tuple[Product, str, str]] = []  # product, text, the text as boilerplate is counted
    for p in products:
        if p.is_variation or (p.status and p.status != "publish"):
            continue
        text = p.description_text.strip() or p.short_description_text.strip()
        if len(text) < MIN_CHARS or is_placeholder(text):
            continue
        texts.append((p, text, re.sub(r"\s+", " ", text).lower()))
    seen = Counter(key for _, _, key in texts)
    out: list[StyleCandidate] = []
    for p, text, key in texts:
        if seen[key] >= BOILERPLATE_PRODUCTS:
            continue
        shown = trim_to_sentences(sentences(text))
        if len(shown) >= MIN_CHARS:
            out.append(StyleCandidate(p.id, p.name, tuple(p.categories), shown))
    return out


def same_category(product: Product, pool: Sequence[StyleCandidate]) -> list[StyleCandidate]:
    """Candidates sharing a category with ``product`` (all of them when it has none that says something,
    e.g. only "Uncategorized" or a translation of it), never itself."""
    others = [c for c in pool if c.product_id is None or c.product_id != product.id]
    mine = {c.strip().lower() for c in real_categories(product.categories)}
    if not mine:
        return others
    return [c for c in others if mine & {x.strip().lower() for x in c.categories}]


def query_text(product: Product) -> str:
    """What a product is, for similarity: name, categories, attribute values."""
    values = [v for vs in product.attributes.values() for v in vs]
    return " · ".join([product.name, *product.categories, *values[:8]])


def candidate_text(c: StyleCandidate) -> str:
    return " · ".join([c.name, *c.categories, c.text[:200]])


def word_overlap(a: str, b: str) -> float:
    """Jaccard overlap of the two texts' words (the fallback when no embedder is installed)."""
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0
