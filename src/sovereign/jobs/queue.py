"""Scheduling jobs: now, at a time, after a delay, staggered in bulk, deduplicated.

Dedupe: a schedule with a ``dedupe_key`` while a job with that key is pending
or running creates nothing and reports the existing job. It holds under
concurrency because pgqueuer keeps a unique partial index on the key for
queued/picked rows and we insert skipping conflicts.

A schedule that announces a change (a webhook: "product 31's images changed")
must not be swallowed by a job that is already *running*: that job may have
read the product before the change. ``schedule(..., follow_running=True)``
then queues one follow-up under ``follow_key(key)``; while that follow-up
waits, further schedules are deduplicated onto it, and if it is running too
(a group runs several jobs at once), the next follow-up is queued behind it. The same happens when the
job finished between our insert and our look (pgqueuer records completions in
batches, so a finished job can hold its key for a moment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

import asyncpg
from pydantic import BaseModel

from sovereign.jobs.registry import JobRegistry, encode_payload
from sovereign.store.queue_inspect import QueueInspector
from sovereign.store.queue_sql import queries_for_connection, queries_for_pool

Args = BaseModel | Mapping[str, Any] | None


@dataclass(frozen=True)
class Scheduled:
    """The outcome of one schedule call."""

    job_id: int | None  # the new job, or the existing one when deduplicated
    created: bool
    dedupe_key: str | None = None

    @property
    def deduplicated(self) -> bool:
        return not self.created


@dataclass(frozen=True)
class BulkItem:
    args: Args
    dedupe_key: str | None = None


# A group runs several jobs at once, so a follow-up may itself be running when the next change comes:
# it then gets its own follow-up, up to this many deep (more than any group's concurrency in practice).
MAX_FOLLOW_UPS = 8


def follow_key(dedupe_key: str) -> str:
    """The key of the one follow-up run queued behind a running job with ``dedupe_key``."""
    return f"{dedupe_key}~next"


def _delay(at: datetime | None, delay: timedelta | float | None) -> timedelta:
    if at is not None and delay is not None:
        raise ValueError("give either at= or delay=, not both")
    if at is not None:
        if at.tzinfo is None:
            raise ValueError("at= must be timezone-aware")
        return max(at - datetime.now(timezone.utc), timedelta(0))
    if delay is None:
        return timedelta(0)
    d = delay if isinstance(delay, timedelta) else timedelta(seconds=float(delay))
    if d < timedelta(0):
        raise ValueError("delay must not be negative")
    return d


class JobQueue:
    """The producer side of the queue. Cheap to construct; holds a pool reference."""

    def __init__(self, pool: asyncpg.Pool, registry: JobRegistry) -> None:
        self._pool = pool
        self._registry = registry
        self._queries = queries_for_pool(pool)

    async def schedule(
        self,
        name: str,
        args: Args = None,
        *,
        at: datetime | None = None,
        delay: timedelta | float | None = None,
        dedupe_key: str | None = None,
        priority: int = 0,
        conn: asyncpg.Connection | None = None,
        follow_running: bool = False,
    ) -> Scheduled:
        """Schedule one job. Pass ``conn`` to enqueue inside the caller's transaction.

        ``follow_running``: when the job with ``dedupe_key`` is already running (not waiting), queue one
        follow-up run instead of dropping this schedule (see the module docstring).
        """
        wait = _delay(at, delay)
        key = dedupe_key
        (result,) = await self._enqueue(name, [BulkItem(args, key)], [wait], priority=priority, conn=conn)
        for _ in range(MAX_FOLLOW_UPS):
            if result.created or not follow_running or key is None:
                return result
            if await self._waiting_id(key, conn) is not None:
                return result  # a run that has not started yet will see the change
            key = follow_key(key)  # running: the follow-up's key, or, if that one runs too, the next one's
            (result,) = await self._enqueue(name, [BulkItem(args, key)], [wait], priority=priority, conn=conn)
        return result

    async def schedule_many(
        self,
        name: str,
        items: Sequence[BulkItem],
        *,
        start: datetime | None = None,
        interval: timedelta | float = 0.0,
        priority: int = 0,
        conn: asyncpg.Connection | None = None,
    ) -> list[Scheduled]:
        """Staggered bulk scheduling: item i runs at ``start + i * interval`` (one statement)."""
        step = interval if isinstance(interval, timedelta) else timedelta(seconds=float(interval))
        base = _delay(start, None)
        delays = [base + i * step for i in range(len(items))]
        return await self._enqueue(name, items, delays, priority=priority, conn=conn)

    async def _enqueue(
        self,
        name: str,
        items: Sequence[BulkItem],
        delays: list[timedelta],
        *,
        priority: int,
        conn: asyncpg.Connection | None,
    ) -> list[Scheduled]:
        if not items:
            return []
        spec = self._registry.get(name)  # unknown names are refused at schedule time
        payloads = [encode_payload(name, self._registry.validate_args(name, it.args)) for it in items]
        keys = [it.dedupe_key for it in items]
        if len({k for k in keys if k is not None}) != len([k for k in keys if k is not None]):
            raise ValueError("the same dedupe_key appears twice in one bulk schedule")
        queries = queries_for_connection(conn) if conn is not None else self._queries
        ids = await queries.enqueue(
            [spec.group] * len(items),
            payloads,
            [priority] * len(items),
            delays,
            keys,
            None,
            on_conflict="skip",
        )
        out: list[Scheduled] = []
        missing = [k for k, i in zip(keys, ids) if i is None and k is not None]
        existing = await self._existing_ids(missing, conn) if missing else {}
        for key, job_id in zip(keys, ids):
            if job_id is not None:
                out.append(Scheduled(int(job_id), True, key))
            else:
                out.append(Scheduled(existing.get(key), False, key))
        return out

    async def _waiting_id(self, key: str, conn: asyncpg.Connection | None) -> int | None:
        return await QueueInspector.waiting_id(conn or self._pool, key)

    async def _existing_ids(self, keys: Iterable[str | None], conn: asyncpg.Connection | None) -> dict[str, int]:
        return await QueueInspector.pending_ids(conn or self._pool, keys)
