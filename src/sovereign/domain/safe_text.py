"""The one check for text Sovereign writes into a store: nothing a shopper or product field could smuggle in.

Every text that reaches WooCommerce (a model's description, the template
fallback, a merchant-approved draft, fraud notes) passes :func:`unsafe_fragments`,
which lists what it finds after decoding HTML entities until nothing changes
(``&#91;gallery/&#93;`` and ``&amp;#91;…`` are shortcodes too):

* ``link``: URLs, ``www.``, bare domain names (``evil.example``);
* ``email``: addresses;
* ``phone``: ``+`` and 7 or more digits, or three or more digit groups (``555-123-4567``);
* ``shortcode``: WordPress shortcodes ``[name …]``, ``[name/]``, ``[/name]``;
* ``markup``: any tag outside ``ALLOWED_TAGS``;
* ``instruction``: text that speaks to a model or a reader as instructions
  ("ignore previous instructions", "visit", "contact us", "risk 95", …).

:func:`safe_phrase` and :func:`safe_sentences` keep the safe part of a product
field, for the template. Pure: no I/O.
"""

from __future__ import annotations

import html
import re

__all__ = ["ALLOWED_TAGS", "UnsafeText", "decode_entities", "is_safe", "safe_phrase", "safe_sentences",
           "unsafe_fragments"]

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "ul", "ol", "li"})


class UnsafeText(ValueError):
    """Text that must not be written to a store; ``problems`` says why."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__(f"unsafe text refused ({', '.join(problems)})")
        self.problems = problems


_LINK = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}://|www\d?\.|(?:mailto|javascript|data|tel|sms):)"
    r"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{2,59})\b(?![\w-])"
    r"(?!\.\w)"
)
_EMAIL = re.compile(r"(?i)[\w.+-]{1,64}\s*(?:@|\(at\)|\[at\])\s*[\w-]{1,63}(?:\s*(?:\.|\(dot\)|\[dot\])\s*[\w-]{1,63})+")
_PHONE = re.compile(  # +44 20 7946 0958, (555) 123-4567, 555-123-4567, 0171 123 45 67; not a bare SKU number
    r"(?<![\w+])(?:\+\s?\d(?:[\s().\-/]{0,3}\d){6,}|\(?\d{2,5}\)?(?:[\s.\-/]{1,3}\d{2,5}){2,}(?![\d.,]*\d))(?!\w)"
)
_SHORTCODE = re.compile(r"\[\s*/?\s*[A-Za-z_][\w-]*(?:\s[^\[\]]*)?/?\s*\]")
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z!?][\w:-]*)")
_INSTRUCTION = re.compile(
    r"(?i)\b(?:"
    r"ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|other)|disregard\s+(?:all|any|the|previous|prior)"
    r"|system\s+prompt|you\s+are\s+now|act\s+as\s+(?:an?\s+|the\s+)?(?:ai|assistant|model|system|admin|developer)|new\s+instructions?|instructions?\s*:"
    r"|assistant\s*:|user\s*:|system\s*:"
    r"|(?:add|set|raise|lower|give|assign|change)\s+(?:a\s+|the\s+|this\s+)?(?:reason|risk|score|band)"
    r"|risk\s*(?:score\s*)?(?:of\s*|=|:)?\s*\d{1,3}\b|score\s*(?:=|:|of)\s*\d{1,3}\b"
    r"|refund(?:ed)?\s+(?:at|via|to|on)\b|approve\s+(?:this|the)\s+order|mark\s+(?:as|it)\b"
    r"|visit\b|contact\s+(?:us|me|sales|support)|call\s+(?:us|me|now)|click\s+(?:here|the)|write\s+to\b"
    r"|e-?mail\s+(?:us|me)|whatsapp|telegram|dm\s+me"
    r")"
)
_KINDS = (("link", _LINK), ("email", _EMAIL), ("phone", _PHONE), ("shortcode", _SHORTCODE),
          ("instruction", _INSTRUCTION))


def decode_entities(text: str) -> str:
    """HTML entities decoded until nothing changes (at most 5 rounds: ``&amp;amp;#91;`` is ``[``)."""
    for _ in range(5):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _markup(text: str) -> bool:
    return any(m.group(2).lower() not in ALLOWED_TAGS for m in _TAG.finditer(text))


def unsafe_fragments(text: str) -> tuple[str, ...]:
    """The kinds of unsafe content in ``text`` (empty: safe to write to a store)."""
    plain = decode_entities(text)
    found = [kind for kind, pattern in _KINDS if pattern.search(plain)]
    if _markup(plain):
        found.append("markup")
    return tuple(found)


def is_safe(text: str) -> bool:
    return not unsafe_fragments(text)


def _first_unsafe(text: str) -> int | None:
    starts = [m.start() for _, p in _KINDS for m in [p.search(text)] if m]
    starts += [m.start() for m in _TAG.finditer(text) if m.group(2).lower() not in ALLOWED_TAGS][:1]
    return min(starts) if starts else None


_TRAILING = re.compile(r"(?i)[\s,;:\-–—|/(]*(?:\b(?:at|on|via|or|and|to|from|see|by|visit|contact|call|for)\b[\s,;:\-–—|/(]*)*$")


def safe_phrase(text: str) -> str:
    """A product field cut before its first unsafe fragment: ``Sun Hat [x/] visit www.evil.example`` → ``Sun Hat``."""
    plain = re.sub(r"\s+", " ", decode_entities(text)).strip()
    cut = _first_unsafe(plain)
    if cut is not None:
        plain = _TRAILING.sub("", plain[:cut]).strip()
    plain = plain.replace("<", " ").replace(">", " ").replace("[", " ").replace("]", " ")
    plain = re.sub(r"\s+", " ", plain).strip(" ,;:-")
    return plain if is_safe(plain) else ""


_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def safe_sentences(text: str) -> str:
    """The sentences of ``text`` that carry nothing unsafe, the others dropped whole."""
    plain = decode_entities(text)
    kept = [s.strip() for s in _SENTENCE.split(plain) if s.strip() and is_safe(s)]
    out = " ".join(kept).replace("<", " ").replace(">", " ")
    return out if is_safe(out) else ""
