"""What counts as an invented fact in a product description: the term lists and the check.

A description may only claim what the product's facts say. :func:`invented_facts`
lists every claim in a text that the facts do not support: numbers (digits and
number words), currency symbols, risky terms (materials, colours, sizes, claims
such as "waterproof") and possible brand or place names. The facts are anything
shaped like :class:`sovereign.domain.descriptions.ProductFacts` (see ``Facts``).

Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Iterable, Mapping, Protocol, Sequence

__all__ = ["CLAIM_TERMS", "Facts", "invented_facts"]


class Facts(Protocol):
    """What the check reads from the facts: every fact as text, and the option lists to count."""

    @property
    def attributes(self) -> Sequence[tuple[str, Sequence[str]]]: ...

    @property
    def categories(self) -> Sequence[str]: ...

    @property
    def currency(self) -> str | None: ...

    def texts(self) -> list[str]: ...


CLAIM_TERMS: Mapping[str, tuple[str, ...]] = {
    "material": (
        "cotton", "wool", "merino", "cashmere", "alpaca", "mohair", "polyester", "nylon", "spandex", "elastane",
        "lycra", "viscose", "rayon", "modal", "linen", "silk", "satin", "velvet", "corduroy", "denim", "fleece",
        "jersey", "leather", "suede", "canvas", "bamboo", "hemp", "acrylic", "acetate", "plastic", "rubber",
        "silicone", "vinyl", "metal", "steel", "stainless", "aluminum", "titanium", "brass", "copper", "bronze",
        "gold", "silver", "platinum", "wood", "wooden", "oak", "walnut", "pine", "glass", "ceramic", "porcelain",
        "marble", "granite", "cardboard", "felt", "foam", "microfibre", "gore-tex", "cork", "resin",
    ),
    "colour": (
        "black", "white", "red", "blue", "green", "yellow", "orange", "purple", "violet", "pink", "brown", "gray",
        "beige", "navy", "teal", "turquoise", "maroon", "burgundy", "olive", "khaki", "cream", "ivory", "charcoal",
        "lavender", "lilac", "magenta", "cyan", "indigo", "coral", "mint", "multicolour", "color",
    ),
    "size": ("size", "xxs", "xs", "xl", "xxl", "xxxl", "one-size", "plus size", "petite", "oversized"),
    "claim": (
        "waterproof", "water-resistant", "water resistant", "windproof", "breathable", "organic", "recycled",
        "sustainable", "eco-friendly", "biodegradable", "vegan", "hypoallergenic", "handmade", "handcrafted",
        "certified", "award-winning", "patented", "warranty", "guarantee", "guaranteed", "lifetime",
        "machine washable", "machine-washable", "dishwasher", "free shipping", "free delivery",
        "limited edition", "bestseller", "best-selling", "uv", "polarised", "antibacterial", "anti-bacterial",
        "unisex", "fair trade", "fairtrade", "imported", "genuine", "authentic", "lightweight", "heavyweight",
        "customizable", "customized", "personalized", "engraved", "adjustable", "reversible", "washable",
    ),
}
_SYNONYMS = {
    "grey": "gray", "colour": "color", "aluminium": "aluminum", "customisable": "customizable",
    "customised": "customized", "personalised": "personalized", "polarized": "polarised", "microfiber": "microfibre",
    "hand-made": "handmade", "hand made": "handmade", "hand-crafted": "handcrafted", "multicolor": "multicolour",
    "multi-colour": "multicolour", "multi-color": "multicolour",
}
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "dozen": 12, "twenty": 20, "fifty": 50, "hundred": 100, "thousand": 1000,
}
_NUMBER = re.compile(r"(?<![\d.,])(?:\d+(?:[.,]\d+)*|[.,]\d+)")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_TERMS = {
    kind: re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")(?:e?s)?\b")
    for kind, terms in CLAIM_TERMS.items()
}
_MARK = re.compile(r"[™®©℠]")
_CURRENCY_SYMBOLS = {"$": "USD CAD AUD NZD MXN SGD HKD", "€": "EUR", "£": "GBP", "¥": "JPY CNY", "₹": "INR"}
_SENTENCE_END = set('.!?:;"“”(\n')


def _canon(text: str) -> str:
    text = text.lower()
    for variant, canonical in _SYNONYMS.items():
        text = re.sub(rf"\b{re.escape(variant)}\b", canonical, text)
    return text


def _number(token: str) -> str | None:
    if "," in token and "." in token:
        token = token.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+", token):
        token = token.replace(",", "")
    token = token.replace(",", ".")
    try:
        return format(Decimal(token).normalize(), "f")
    except ArithmeticError:
        return None


def _vocabulary(texts: list[str]) -> set[str]:
    vocab: set[str] = set()
    for text in texts:
        for word in _WORD.findall(_canon(text)):
            vocab |= {word, word.replace("-", "")} | {p for p in re.split(r"[-'’]", word) if p}
    return vocab


@functools.lru_cache(maxsize=16)
def _known_vocabulary(known: frozenset[str]) -> frozenset[str]:
    """``_vocabulary`` of a language's fixed words: the same few sets on every call, built once."""
    return frozenset(_vocabulary(list(known)))


def _known(word: str, vocab: set[str]) -> bool:
    w = re.sub(r"['’]s$", "", _canon(word))
    candidates = {w, w.rstrip("s"), w + "s", re.sub(r"es$", "", w), w.replace("-", ""), w.replace("-", "") + "s"}
    if candidates & vocab:
        return True
    parts = [p for p in re.split(r"[-'’]", w) if p]
    return bool(parts) and all(p in vocab or p.rstrip("s") in vocab for p in parts)


def invented_facts(text: str, f: Facts, known: Iterable[str] = ()) -> list[str]:
    """Claims in ``text`` that the facts do not support.

    * every number (digits, decimals, prices, embedded as in ``UV400``) and every
      number word from "two" up must equal a number in the facts, a price, or a
      count of options/categories;
    * every risky term (materials, colours, sizes, claims such as "waterproof")
      must appear in the facts;
    * a capitalised word in mid-sentence, a word with inner capitals (``iPhone``)
      or one marked ™/® is a possible brand or place, and must appear in the facts or in ``known``
      (the shop language's neutral words: German capitalises every noun).
    """
    fact_texts = f.texts()
    fact_canon = _canon(" ".join(fact_texts))
    vocab = _vocabulary(fact_texts)
    vocab_with_known = vocab | _known_vocabulary(frozenset(known))
    problems: list[str] = []

    allowed = {n for t in fact_texts for n in map(_number, _NUMBER.findall(t)) if n}
    counts = [len(opts) for _, opts in f.attributes] + [len(f.categories)]
    allowed |= {str(c) for c in counts}
    for token in _NUMBER.findall(text):
        value = _number(token)
        if value is not None and value not in allowed:
            problems.append(f"invented_number:{token}")
    for word, value in _NUMBER_WORDS.items():
        if re.search(rf"(?i)\b{word}\b", text) and str(value) not in allowed:
            problems.append(f"invented_number:{word}")

    for symbol, codes in _CURRENCY_SYMBOLS.items():
        if symbol in text and (f.currency or "").upper() not in codes.split():
            problems.append(f"invented_currency:{symbol}")

    canon = _canon(text)
    for kind, pattern in _TERMS.items():
        for term in dict.fromkeys(m.group(1) for m in pattern.finditer(canon)):
            if not re.search(rf"\b{re.escape(term)}(?:e?s)?\b", fact_canon):
                problems.append(f"invented_{kind}:{term}")

    if _MARK.search(text) and not _MARK.search(" ".join(fact_texts)):
        problems.append("unknown_name:" + _MARK.search(text).group(0))
    for m in _WORD.finditer(text):
        word = m.group(0).rstrip("'’-")
        if not any(c.isupper() for c in word) or word in {"I", "I'm", "I've", "I'll", "I'd"}:
            continue
        before = text[: m.start()].rstrip(" \t")
        sentence_start = not before or before[-1] in _SENTENCE_END
        inner_caps = any(c.isupper() for c in word[1:])
        if (inner_caps or not sentence_start) and not _known(word, vocab_with_known):
            problems.append(f"unknown_name:{word}")
    return list(dict.fromkeys(problems))
