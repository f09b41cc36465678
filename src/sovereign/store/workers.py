"""Live worker processes (``sovereign_workers``): registration, heart-beats, and the list readiness reads."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

__all__ = ["WorkerRows"]


class WorkerRows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def register(self, worker_id: uuid.UUID, hostname: str, pid: int, groups: list[str]) -> None:
        await self.pool.execute(
            "INSERT INTO sovereign_workers (id, hostname, pid, groups) VALUES ($1, $2, $3, $4)",
            worker_id, hostname, pid, groups,
        )

    async def set_state(self, worker_id: uuid.UUID, state: str) -> None:
        await self.pool.execute("UPDATE sovereign_workers SET state = $2, heartbeat = now() WHERE id = $1", worker_id, state)

    async def beat(self, worker_id: uuid.UUID) -> None:
        await self.pool.execute("UPDATE sovereign_workers SET heartbeat = now() WHERE id = $1", worker_id)

    async def live(self, fresh_within_s: float) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT id, hostname, pid, groups, state, heartbeat, "
            "heartbeat > now() - make_interval(secs => $1) AS fresh FROM sovereign_workers "
            "WHERE state <> 'stopped' ORDER BY started_at",
            fresh_within_s,
        )
        return [dict(r) for r in rows]
