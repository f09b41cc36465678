"""Placeholders for redacted values (``[EMAIL_1]``) and putting the values back into an answer.

One ``Placeholders`` object belongs to one redacted request: the same value
always gets the same placeholder, tokens already present in the input are
never reused, and only tokens issued here are ever restored. Restoring works
on plain text, on JSON text (values are JSON-escaped), on parsed JSON values,
and on a stream (a placeholder split across chunks is held back until whole).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Iterable

TOKEN = re.compile(r"\[([A-Z]+)_(\d+)\]")
_PARTIAL = re.compile(r"\[[A-Z]*_?\d*$")  # a token still being streamed: "[", "[EMA", "[EMAIL_1"
_MAX_TOKEN = 24


def value_key(value: str) -> str:
    """Two spellings of one value share a placeholder: case, spacing and composition do not count."""
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


class Placeholders:
    __slots__ = ("_values", "_tokens", "_next", "_taken")

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._values: dict[str, str] = {}  # token -> original value
        self._tokens: dict[tuple[str, str], str] = {}  # (kind, value key) -> token
        self._next: dict[str, int] = {}
        self._taken = set(taken)  # tokens that were in the input already

    @classmethod
    def for_texts(cls, texts: Iterable[str]) -> "Placeholders":
        return cls(m.group(0) for t in texts for m in TOKEN.finditer(t))

    def token(self, kind: str, value: str) -> str:
        key = (kind, value_key(value))
        found = self._tokens.get(key)
        if found is not None:
            return found
        n = self._next.get(kind, 0)
        while True:
            n += 1
            token = f"[{kind}_{n}]"
            if token not in self._taken:
                break
        self._next[kind] = n
        self._tokens[key] = token
        self._values[token] = value
        return token

    def __len__(self) -> int:
        return len(self._values)

    def restore(self, text: str) -> str:
        if not self._values or "[" not in text:
            return text
        values = self._values
        return TOKEN.sub(lambda m: values.get(m.group(0), m.group(0)), text)

    def restore_json_text(self, text: str) -> str:
        """``text`` is JSON: restored values are escaped so it stays valid JSON."""
        if not self._values or "[" not in text:
            return text
        values = self._values

        def sub(m: re.Match[str]) -> str:
            v = values.get(m.group(0))
            return m.group(0) if v is None else json.dumps(v, ensure_ascii=False)[1:-1]

        return TOKEN.sub(sub, text)

    def restore_value(self, value: Any) -> Any:
        """A parsed JSON value with every string (keys included) restored."""
        if isinstance(value, str):
            return self.restore(value)
        if isinstance(value, list):
            return [self.restore_value(v) for v in value]
        if isinstance(value, dict):
            return {self.restore(k) if isinstance(k, str) else k: self.restore_value(v) for k, v in value.items()}
        return value

    def stream(self) -> "StreamRestorer":
        return StreamRestorer(self)


class StreamRestorer:
    """Restores a text that arrives in pieces; ``feed`` returns what may be shown now."""

    __slots__ = ("_placeholders", "_pending")

    def __init__(self, placeholders: Placeholders) -> None:
        self._placeholders = placeholders
        self._pending = ""

    def feed(self, text: str) -> str:
        pending = self._pending + text
        cut = pending.rfind("[")
        if cut >= 0 and len(pending) - cut <= _MAX_TOKEN and _PARTIAL.match(pending, cut):
            self._pending = pending[cut:]
            pending = pending[:cut]
        else:
            self._pending = ""
        return self._placeholders.restore(pending)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self._placeholders.restore(rest)
