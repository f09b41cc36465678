"""Redaction: personal data in a request's texts replaced by placeholders, or an error.

    redactor = Redactor()
    redacted = redactor.redact(["...Klaus Müller, Königsallee 27..."], record=order.personal_fields())
    redacted.texts         # ["...[NAME_1] [NAME_2], [ADDRESS_1]..."]
    redacted.counts        # {"NAME": 2, "ADDRESS": 1}
    redacted.placeholders.restore(answer)

Three sources of spans, merged (overlaps become one placeholder): the
record's own values (``denylist``), EU street/postcode patterns
(``patterns``) and Presidio's pattern recognizers (``recognizers``). After
replacing, every deny-list pattern is searched again in the result; a hit
means something survived and raises ``RedactionError``: redaction fails
closed, and so does any error inside it.
"""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from . import denylist, patterns
from .placeholders import Placeholders
from .recognizers import PresidioFinder

Span = tuple[int, int, str]
Finder = Callable[[str], "Sequence[Span]"]


class RedactionError(Exception):
    """Redaction could not be completed; nothing may be sent in redacted form."""


@dataclass(slots=True)
class Redacted:
    texts: list[str]
    placeholders: Placeholders
    counts: dict[str, int] = field(default_factory=dict)


def _pattern_finder(text: str) -> list[Span]:
    return list(patterns.find(text))


class Redactor:
    """Stateless apart from the lazily built Presidio engine; share one per process.

    ``finders`` are the span sources besides the deny-list (default: EU
    street/postcode patterns and Presidio). Each is called with one text and
    returns ``(start, end, kind)`` spans.
    """

    def __init__(self, finders: Sequence[Finder] | None = None) -> None:
        self._presidio = PresidioFinder() if finders is None else None
        self.finders: list[Finder] = list(finders) if finders is not None else [_pattern_finder, self._presidio]  # type: ignore[list-item]

    def warm(self) -> None:
        """Load Presidio now (about a second) rather than on the first redaction."""
        if self._presidio is not None:
            self._presidio.warm()

    def redact(self, texts: Sequence[str], record: Mapping[str, str] | None = None) -> Redacted:
        try:
            return self._redact(texts, record)
        except RedactionError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure inside redaction means nothing is sent
            raise RedactionError(f"redaction failed: {e!r}") from e

    async def aredact(self, texts: Sequence[str], record: Mapping[str, str] | None = None) -> Redacted:
        """``redact`` in a worker thread (Presidio's phone matcher takes milliseconds per KB)."""
        return await asyncio.to_thread(self.redact, texts, record)

    def _redact(self, texts: Sequence[str], record: Mapping[str, str] | None) -> Redacted:
        terms = denylist.terms(record)
        normalized = [unicodedata.normalize("NFC", t) for t in texts]
        placeholders = Placeholders.for_texts(normalized)
        counts: dict[str, int] = {}
        out: list[str] = []
        for text in normalized:
            spans: list[Span] = [(m.start(), m.end(), t.kind) for t in terms for m in t.pattern.finditer(text)]
            for find in self.finders:
                spans.extend(find(text))
            out.append(_replace(text, _merge(spans), placeholders, counts))
        for text in out:
            for term in terms:
                if term.pattern.search(text):
                    raise RedactionError(f"a {term.kind} value survived redaction")
        return Redacted(out, placeholders, counts)


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one; it keeps the kind of the span that starts first (longest on ties)."""
    merged: list[Span] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            s0, e0, k0 = merged[-1]
            merged[-1] = (s0, max(e0, end), k0)
        else:
            merged.append((start, end, kind))
    return merged


def _replace(text: str, spans: list[Span], placeholders: Placeholders, counts: dict[str, int]) -> str:
    parts: list[str] = []
    pos = 0
    for start, end, kind in spans:
        parts.append(text[pos:start])
        parts.append(placeholders.token(kind, text[start:end]))
        counts[kind] = counts.get(kind, 0) + 1
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
