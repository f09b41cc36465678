"""Background health probes: each provider's ``health()`` every ``interval`` seconds.

A failed probe counts as a failure on the provider's breaker (a dead provider
opens its circuit without burning real calls). A passing probe lets an open
circuit try one real call now, and lets degraded features try a trial call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Sequence

from .route import Route

log = logging.getLogger("sovereign.gateway")


async def probe_once(route: Route, timeout: float) -> bool:
    try:
        async with asyncio.timeout(timeout):
            ok = bool(await route.provider.health())
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - a probe that fails in any way is a failed probe
        ok = False
    route.healthy = ok
    route.probed_at = time.monotonic()
    if ok:
        route.breaker.nudge()
    else:
        route.breaker.record_failure("health probe failed")
    return ok


async def probe_round(routes: Sequence[Route], timeout: float, on_healthy: Callable[[], None]) -> list[bool]:
    results = await asyncio.gather(*(probe_once(r, timeout) for r in routes))
    if any(results):
        on_healthy()
    return list(results)


async def probe_loop(routes: Sequence[Route], interval: float, on_healthy: Callable[[], None]) -> None:
    """Probe forever (until cancelled); each round's probes time out within the interval."""
    while True:
        timeout = max(0.05, min(interval, 10.0))
        try:
            await probe_round(routes, timeout, on_healthy)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the loop must outlive any one bad round
            log.exception("gateway health probe round failed")
        await asyncio.sleep(interval)
