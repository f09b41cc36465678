"""Personal-data bytes that reached a provider outside their jurisdiction, measured on what it received. Pure.

The fake cloud provider records every request's exact bytes. Each body is
searched for every personal value of the burst's orders: in every JSON
string of the body (JSON escapes undone; the raw text when it is not JSON), case-insensitively
and also with accents folded (``Müller`` sent as ``Muller`` is still
``Müller``). A value counts only as a whole token (not inside a longer
word). The result is the byte length of every match: 0 means no personal
value reached the provider in any spelling the search knows.

    leaks = find_leaks(bodies, personal_values(orders))
    leaks.bytes, leaks.requests_with_leaks, leaks.masked_examples
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["Leaks", "find_leaks"]

_MIN_LEN = 2  # the redactor does not search shorter values either


@dataclass(frozen=True, slots=True)
class Leaks:
    requests: int  # request bodies searched
    values: int  # distinct personal values searched for
    bytes: int = 0
    matches: int = 0
    requests_with_leaks: int = 0
    masked_examples: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes, "matches": self.matches, "requests_searched": self.requests,
            "requests_with_leaks": self.requests_with_leaks, "values_searched": self.values,
            "examples_masked": list(self.masked_examples),
        }


def fold(text: str) -> str:
    """Case-folded, accents removed (``Müller`` → ``muller``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# The fraud prompt escapes these inside its data block (``domain.fraud_llm``); undo it before searching.
_PROMPT_ESCAPES = {"\\u003c": "<", "\\u003e": ">", "\\u0026": "&"}


def _haystack(body: bytes) -> str:
    """Every JSON string of the body (escapes undone), or the raw text when it is not JSON."""
    try:
        text = "\n".join(_strings(json.loads(body)))
    except ValueError:
        text = body.decode("utf-8", "replace")
    for escaped, char in _PROMPT_ESCAPES.items():
        text = text.replace(escaped, char)
    return text


def _pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    needles = sorted({fold(v) for v in values if len(v.strip()) >= _MIN_LEN}, key=len, reverse=True)
    if not needles:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in needles) + r")(?!\w)")


def _mask(value: str) -> str:
    return value[:2] + "…" + f"({len(value)} chars)"


def find_leaks(bodies: Iterable[bytes], values: Iterable[str]) -> Leaks:
    values = list(values)
    pattern = _pattern(values)
    bodies = list(bodies)
    total = matches = leaky = 0
    examples: list[str] = []
    for body in bodies:
        found = 0
        for m in pattern.finditer(fold(_haystack(body))) if pattern is not None else ():
            found += 1
            total += len(m.group(0).encode("utf-8"))
            if len(examples) < 5 and _mask(m.group(0)) not in examples:
                examples.append(_mask(m.group(0)))
        matches += found
        leaky += 1 if found else 0
    return Leaks(len(bodies), len({v for v in values if len(v.strip()) >= _MIN_LEN}), total, matches, leaky,
                 tuple(examples))
