"""An independent claim checker for product descriptions (model evaluations, bench/descriptions_eval.py).

Deliberately not the generator's check (``sovereign.domain.claims`` /
``sovereign.domain.grounded``): its own term lists and its own rules, so a draft
that games the generator's validator is still caught. A claim is a phrase about
material, size or measure, use or occasion, the kind of thing the product is,
a quantity, or a feature. It is supported when its key word (or the word's
first five letters, for plurals and inflections) appears in the product's facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MATERIALS = set("""
cotton wool merino cashmere linen silk satin velvet denim fleece leather suede canvas bamboo hemp acrylic polyester
nylon plastic rubber silicone vinyl metal steel iron aluminium aluminum brass copper bronze zinc tin gold silver
wood wooden oak pine walnut birch glass crystal ceramic porcelain stoneware earthenware terracotta enamel enamelled
marble granite stone slate paper cardboard card felt foam resin cork wicker rattan jute
""".split())
KINDS = set("""
oven pot pan skillet kettle mug cup saucer plate bowl dish jug teapot tray bottle jar tin box basket bag tote
purse wallet backpack hat cap beanie scarf glove sock shirt tshirt t-shirt tee polo hoodie jumper sweater jacket coat
dress skirt trousers jeans shorts shoe boot sandal belt watch clock lamp light lantern candle holder frame mirror
cushion pillow blanket throw rug curtain towel apron napkin poster print card notebook diary pen pencil toy doll game
puzzle book album single song track theme plugin template software app ornament decoration bauble garland wreath
sign plaque doorstop magnet keyring badge sticker tape ribbon wrap umbrella vase planter figurine ornament
""".split())
OCCASIONS = set("""
christmas birthday wedding anniversary party halloween easter valentine baby kids children child toddler
kitchen garden office bathroom bedroom outdoor outdoors camping travel picnic beach school gym gift gifts
""".split())
FEATURES = set("""
waterproof water-resistant windproof breathable washable dishwasher microwave freezer oven-safe handmade
handcrafted organic recycled sustainable durable sturdy soft warm cosy cozy comfortable lightweight heavy
adjustable reversible foldable portable rechargeable wireless insulated non-stick nonstick stackable
personalised personalized engraved vintage antique luxury premium versatile
""".split())
UNITS = r"(?:cm|mm|m|in|inch|inches|ft|ml|l|litre|liter|litres|liters|kg|g|oz|lb|lbs)"
NUMBER_WORDS = set("two three four five six seven eight nine ten eleven twelve dozen pair pairs set pack".split())

_WORD = re.compile(r"[a-z][a-z'-]+")
_MEASURE = re.compile(rf"\b\d+(?:[.,]\d+)?\s*{UNITS}\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_USE = re.compile(r"\b(?:perfect|ideal|great|designed|suitable|made|use|used|lovely)\s+(?:for|as|in)\s+([a-z'-]+)")


@dataclass(frozen=True)
class Claim:
    kind: str  # material | kind | use | occasion | measure | quantity | feature
    term: str


def _stem(word: str) -> str:
    return word.lower().strip("'-")[:5]


def claims(text: str) -> list[Claim]:
    lower = text.lower()
    out: list[Claim] = []
    for word in _WORD.findall(lower):
        if word in MATERIALS:
            out.append(Claim("material", word))
        elif word in KINDS:
            out.append(Claim("kind", word))
        elif word in OCCASIONS:
            out.append(Claim("occasion", word))
        elif word in FEATURES:
            out.append(Claim("feature", word))
        elif word in NUMBER_WORDS:
            out.append(Claim("quantity", word))
    out += [Claim("measure", m.group(0)) for m in _MEASURE.finditer(lower)]
    out += [Claim("quantity", n) for n in _NUMBER.findall(_MEASURE.sub(" ", lower))]
    out += [Claim("use", m.group(1)) for m in _USE.finditer(lower)]
    return list(dict.fromkeys(out))


def unsupported(text: str, facts: list[str]) -> list[Claim]:
    """The claims in ``text`` whose key term the facts do not contain."""
    corpus = " ".join(facts).lower()
    words = {_stem(w) for w in _WORD.findall(corpus)}
    numbers = set(_NUMBER.findall(corpus))
    missing = []
    for c in claims(text):
        if c.kind in ("measure", "quantity") and any(ch.isdigit() for ch in c.term):
            if not set(_NUMBER.findall(c.term)) <= numbers:
                missing.append(c)
        elif _stem(c.term) not in words and c.term not in corpus:
            missing.append(c)
    return missing
