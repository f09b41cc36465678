"""The record's own personal values as search patterns: the deny-list.

``ChatRequest.record`` maps field names (``billing.first_name``, ``email``,
``shipping.address_1``) to values. Each value becomes a pattern that also
finds its usual other spellings: any case, any run of spaces, JSON-escaped
(``M\\u00fcller``), without accents (``Muller``), German transliteration
(``Mueller``), a street without its house number, an email's local part and a
phone number in national or international form with any separators.
Values shorter than two characters are not searched (they identify nobody).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator, Mapping

import phonenumbers

MIN_LENGTH = 2
_SEP = r"[\s\-./()]*"
_KINDS = {
    "first_name": "NAME", "last_name": "NAME", "full_name": "NAME", "name": "NAME", "display_name": "NAME",
    "username": "NAME", "email": "EMAIL", "phone": "PHONE", "mobile": "PHONE", "address_1": "ADDRESS",
    "address_2": "ADDRESS", "address": "ADDRESS", "street": "ADDRESS", "city": "CITY", "postcode": "POSTCODE",
    "zip": "POSTCODE", "postal_code": "POSTCODE", "company": "COMPANY", "ip": "IP", "iban": "IBAN",
}
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


@dataclass(frozen=True, slots=True)
class Term:
    kind: str
    pattern: re.Pattern[str]


def kind_of(field: str) -> str:
    """``billing.first_name`` -> ``NAME``; unknown fields are ``PERSONAL``."""
    return _KINDS.get(field.rsplit(".", 1)[-1].lower(), "PERSONAL")


def _strip_accents(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def _literal(value: str) -> str:
    """A pattern for ``value`` with flexible spaces and word boundaries where it starts/ends with a word."""
    body = r"\s+".join(re.escape(w) for w in value.split())
    if value[0].isalnum():
        body = r"(?<!\w)" + body
    if value[-1].isalnum():
        body += r"(?!\w)"
    return body


def _spellings(value: str) -> set[str]:
    out = {value, json.dumps(value)[1:-1], _strip_accents(value), value.translate(_GERMAN)}
    return {s for s in out if len(s.strip()) >= MIN_LENGTH}


def _street(value: str) -> str | None:
    """``Königsallee 27`` -> ``Königsallee``; ``3 Marina Road`` -> ``Marina Road``."""
    words = [w for w in value.replace(",", " ").split() if not any(c.isdigit() for c in w)]
    name = " ".join(words)
    return name if len(name) >= 4 else None


def _phone(value: str) -> str | None:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 6:
        return None
    national, country = digits.lstrip("0"), None  # national form: drop the trunk prefix
    if value.strip().startswith(("+", "00")):
        try:
            parsed = phonenumbers.parse("+" + value.strip().lstrip("+").removeprefix("00"), None)
            national, country = str(parsed.national_number), parsed.country_code
        except phonenumbers.NumberParseException:
            pass
    prefix = r"(?:(?:\+|00)" + _SEP + (re.escape(str(country)) if country else r"\d{1,3}") + _SEP
    prefix += r"(?:\(0\)" + _SEP + r")?|0" + _SEP + r")?"
    full = _SEP.join(re.escape(d) for d in digits)
    return rf"(?<!\d)(?:{prefix}{_SEP.join(national)}|\+?{full})(?!\d)"


def _patterns(kind: str, value: str) -> Iterator[str]:
    for spelling in _spellings(value):
        yield _literal(spelling)
    if kind == "ADDRESS":
        street = _street(value)
        if street:
            yield from (_literal(s) for s in _spellings(street))
    elif kind == "EMAIL" and "@" in value:
        local = value.split("@", 1)[0]
        if len(local) >= 4:
            yield _literal(local)
    elif kind == "PHONE":
        phone = _phone(value)
        if phone:
            yield phone


def terms(record: Mapping[str, str] | None) -> list[Term]:
    """One compiled pattern per record value (all its spellings), longest values first."""
    out: list[tuple[int, Term]] = []
    seen: set[tuple[str, str]] = set()
    for field, raw in (record or {}).items():
        value = unicodedata.normalize("NFC", str(raw or "")).strip()
        kind = kind_of(field)
        if len(value) < MIN_LENGTH or (kind, value.casefold()) in seen:
            continue
        seen.add((kind, value.casefold()))
        alternatives = sorted(set(_patterns(kind, value)), key=len, reverse=True)
        out.append((len(value), Term(kind, re.compile("|".join(alternatives), re.IGNORECASE))))
    out.sort(key=lambda t: -t[0])
    return [t for _, t in out]
