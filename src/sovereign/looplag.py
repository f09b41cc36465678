"""Event-loop lag: how long the loop was blocked, measured by how late a timer fires.

``watch`` sleeps ``interval_s`` again and again; the time it wakes past its
due time is the lag (work that held the loop: a slow regex, a big JSON dump,
a sync call). Each sample goes to ``sovereign_event_loop_lag_seconds`` and a
lag past ``warn_s`` is logged as a warning, so a stall is seen on a
dashboard and in the logs with the request id of whatever was running.
"""

from __future__ import annotations

import asyncio
import logging

from sovereign.metrics import EVENT_LOOP_LAG

log = logging.getLogger("sovereign.loop")


async def watch(interval_s: float = 0.05, warn_s: float = 0.1) -> None:
    """Run until cancelled, observing one lag sample per ``interval_s``."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + interval_s
        await asyncio.sleep(interval_s)
        lag = max(0.0, loop.time() - due)
        EVENT_LOOP_LAG.observe(lag)
        if lag > warn_s:
            log.warning("event loop blocked for %.0f ms (warning above %.0f ms)", lag * 1000, warn_s * 1000)
