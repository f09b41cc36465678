"""A bounded read cache for look-ups by a caller-supplied key (store ids, API keys).

Answers that found something and answers that found nothing are kept in two
LRU caches (``cachetools.LRUCache``) of their own sizes, so a flood of
made-up ids fills only the small "not found" side: it can neither grow
memory without bound nor push the real stores or keys out. Entries are
``(expires_at, value)`` tuples; the repositories decide about expiry (an
expired entry is still served while the database is unreachable).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from cachetools import LRUCache

V = TypeVar("V")

Entry = tuple[float, "V | None"]


class LookupCache(Generic[V]):
    """Dict-like: ``get``, ``[key] = (expires_at, value)``, ``pop``, ``clear``, ``len``."""

    def __init__(self, max_found: int = 1024, max_missing: int = 256) -> None:
        self._found: LRUCache[str, tuple[float, V | None]] = LRUCache(maxsize=max_found)
        self._missing: LRUCache[str, tuple[float, V | None]] = LRUCache(maxsize=max_missing)

    def get(self, key: str) -> tuple[float, V | None] | None:
        hit = self._found.get(key)
        return hit if hit is not None else self._missing.get(key)

    def __setitem__(self, key: str, entry: tuple[float, V | None]) -> None:
        if entry[1] is None:
            self._found.pop(key, None)
            self._missing[key] = entry
        else:
            self._missing.pop(key, None)
            self._found[key] = entry

    def pop(self, key: str, default: object = None) -> object:
        a, b = self._found.pop(key, None), self._missing.pop(key, None)
        return a if a is not None else b if b is not None else default

    def clear(self) -> None:
        self._found.clear()
        self._missing.clear()

    def __len__(self) -> int:
        return len(self._found) + len(self._missing)
