"""What an operator's monitor sees: ``GET /readyz`` polled through the drill, one sample each time.

    monitor = Monitor(service_url, origin=time.monotonic())
    task = monitor.start()
    ...
    await monitor.stop()
    monitor.samples        # [Sample(t=0.25, ready=True, degraded=(), breakers={"cloud": "closed", ...}), ...]
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Monitor", "Sample"]


@dataclass(frozen=True, slots=True)
class Sample:
    t: float  # seconds from the drill's origin
    status: int | None  # None: /readyz did not answer
    ready: bool = False
    database: bool = False
    workers_live: int | None = None
    degraded: tuple[str, ...] = ()
    breakers: dict[str, str] = field(default_factory=dict)
    healthy: dict[str, bool | None] = field(default_factory=dict)
    error: str = ""

    @classmethod
    def of(cls, t: float, status: int, doc: dict[str, Any]) -> "Sample":
        checks = doc.get("checks") or {}
        providers = checks.get("providers") or {}
        degraded = (checks.get("degraded") or {}).get("degraded") or []
        workers = checks.get("workers") or {}
        return cls(
            t=t, status=status, ready=bool(doc.get("ready")), database=bool((checks.get("database") or {}).get("ok")),
            workers_live=workers.get("live"), degraded=tuple(degraded),
            breakers={n: str(p.get("breaker")) for n, p in providers.items()},
            healthy={n: p.get("healthy") for n, p in providers.items()},
        )


class Monitor:
    def __init__(self, url: str, *, origin: float, interval_s: float = 0.25) -> None:
        self.url = url.rstrip("/") + "/readyz"
        self.origin = origin
        self.interval_s = interval_s
        self.samples: list[Sample] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self._run())
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    def latest(self) -> Sample | None:
        return self.samples[-1] if self.samples else None

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                t0 = time.monotonic()
                t = t0 - self.origin
                try:
                    r = await client.get(self.url)
                    self.samples.append(Sample.of(t, r.status_code, r.json()))
                except (httpx.HTTPError, ValueError) as exc:
                    self.samples.append(Sample(t, None, error=f"{type(exc).__name__}: {exc}"[:200]))
                await asyncio.sleep(max(0.0, self.interval_s - (time.monotonic() - t0)))
