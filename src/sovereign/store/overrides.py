"""The fleet-wide operator overrides row (``sovereign_overrides``, id 1): a version and the state as JSON."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

__all__ = ["OverrideRow"]


class OverrideRow:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def publish(self, state: dict[str, Any]) -> int:
        """Store ``state`` as the next version; returns that version."""
        return int(await self.pool.fetchval(
            "UPDATE sovereign_overrides SET version = version + 1, state = $1::jsonb, updated_at = now() "
            "WHERE id = 1 RETURNING version",
            json.dumps(state),
        ))

    async def latest(self) -> tuple[int, dict[str, Any]] | None:
        row = await self.pool.fetchrow("SELECT version, state FROM sovereign_overrides WHERE id = 1")
        return None if row is None else (int(row["version"]), json.loads(row["state"]))
