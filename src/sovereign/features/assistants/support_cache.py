"""What may enter the semantic cache in front of the model for shopper answers (the cache itself is
``store.support_cache.SupportCache``), and how questions are keyed.

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
import re

__all__ = [
    "cacheable", "email_in", "normalize_question", "order_number_in", "personal_data",
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
