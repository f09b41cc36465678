"""The audit writer: the gateway's event sink, buffered in process, written in batches.

    audit = AuditWriter(pool)
    gateway = Gateway(configs, on_event=audit)   # sync, no I/O: appends to a buffer
    audit.start()                                # background task: a batch every flush_interval_s
    ...
    await audit.aclose()                         # stops and writes what is left

Each batch is one transaction: lock the chain head (``SELECT ... FOR UPDATE``),
hash every row onto the previous one, insert, move the head. A crash or a
failed transaction loses that batch but never breaks the chain; a batch that
fails to write is kept and retried (up to ``max_buffer`` rows; beyond that
new events are dropped and counted in ``dropped``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

import asyncpg

from sovereign.gateway.events import Event

from .records import AUDITED, CONTENT_COLUMNS, chain_hash, row_for
from sovereign.store import audit_log

log = logging.getLogger("sovereign.audit")

_COLUMNS = ("id", *CONTENT_COLUMNS, "prev_hash", "hash")


class AuditWriter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        batch_size: int = 500,
        flush_interval_s: float = 0.5,
        max_buffer: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pool = pool
        self._clock = clock
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.max_buffer = max_buffer
        self._buffer: deque[tuple[float, Event]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self.written = 0
        self.dropped = 0

    # --- the sink (hot path: no I/O, no awaiting) -----------------------------

    def __call__(self, event: Event) -> None:
        if not isinstance(event, AUDITED):
            return
        buffer = self._buffer
        if len(buffer) >= self.max_buffer:  # the database has been unreachable for a long while
            self.dropped += 1
            return
        buffer.append((self._clock(), event))
        if len(buffer) == self.batch_size and self._wake is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    @property
    def pending(self) -> int:
        """Rows buffered, not yet written."""
        return len(self._buffer)

    # --- lifecycle --------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="audit-writer")
        return self._task

    async def aclose(self) -> None:
        """Stop the background task and write everything still buffered."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        while self._buffer:
            if not await self._flush_once():
                log.error("audit: %d buffered rows could not be written at shutdown", len(self._buffer))
                break

    async def flush(self) -> int:
        """Write everything buffered now; returns the rows written (raises if the database refuses)."""
        total = 0
        async with self._lock:  # also waits for a batch the background task is writing
            while self._buffer:
                batch = self._take()
                try:
                    total += await self._write(batch)
                except BaseException:
                    self._requeue(batch)
                    raise
        return total

    # --- internals --------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.flush_interval_s)
            except TimeoutError:
                pass
            self._wake.clear()
            while self._buffer:
                if not await self._flush_once():
                    break

    async def _flush_once(self) -> bool:
        async with self._lock:
            batch = self._take()
            try:
                await self._write(batch)
                return True
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError, TimeoutError) as e:
                log.warning("audit: writing %d rows failed, will retry: %r", len(batch), e)
                self._requeue(batch)
                return False
            except BaseException:  # cancelled mid-write: the transaction rolled back, keep the rows
                self._requeue(batch)
                raise

    def _requeue(self, batch: list[tuple[float, Event]]) -> None:
        self._buffer.extendleft(reversed(batch))
        while len(self._buffer) > self.max_buffer:
            self._buffer.pop()
            self.dropped += 1

    def _take(self) -> list[tuple[float, Event]]:
        n = min(self.batch_size, len(self._buffer))
        return [self._buffer.popleft() for _ in range(n)]

    async def _write(self, batch: list[tuple[float, Event]]) -> int:
        rows = [r for t, e in batch if (r := row_for(e, datetime.fromtimestamp(t, timezone.utc))) is not None]
        if not rows:
            return 0
        def link(last_id: int, prev: str) -> tuple[list[tuple[Any, ...]], int, str]:
            records: list[tuple[Any, ...]] = []
            for row in rows:
                last_id += 1
                h = chain_hash(prev, row)
                records.append((last_id, *(_db(c, row[c]) for c in CONTENT_COLUMNS), prev, h))
                prev = h
            return records, last_id, prev

        await audit_log.append(self.pool, _COLUMNS, link)
        self.written += len(rows)
        return len(rows)


def _db(column: str, value: Any) -> Any:
    if column in ("redactions", "detail"):
        return json.dumps(value, ensure_ascii=False)
    return value
