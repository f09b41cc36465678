"""Operator overrides shared by every process (API and workers, on every machine).

An override flipped through the ops API, the console or the CLI changes the
gateway of the process that took the request; this module makes it fleet-wide.
Every local change (seen as an ``OverrideChanged`` event) is published to the
``sovereign_overrides`` row with a new version; every process polls the row and
applies newer versions to its own gateway. A process that starts applies the
current state first, so a restarted worker honours an incident's "degraded".
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import asyncpg

from sovereign.gateway import Gateway
from sovereign.gateway.events import Event, OverrideChanged
from sovereign.store.overrides import OverrideRow

log = logging.getLogger("sovereign.overrides")


class OverrideSync:
    def __init__(self, pool: asyncpg.Pool, gateway: Gateway, *, poll_s: float = 2.0) -> None:
        self.rows = OverrideRow(pool)
        self.gateway = gateway
        self.poll_s = poll_s
        self.version = -1
        self._applying = False
        self._task: asyncio.Task[None] | None = None
        self._publish: asyncio.Task[None] | None = None

    # --- the event sink: local operator changes are published ------------------------------

    def __call__(self, event: Event) -> None:
        if isinstance(event, OverrideChanged) and not self._applying:
            loop = asyncio.get_running_loop()
            previous = self._publish
            self._publish = loop.create_task(self._publish_after(previous))

    async def _publish_after(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:  # keep publications in order
            with suppress(Exception):
                await previous
        try:
            await self.publish()
        except Exception as exc:
            log.error("could not publish overrides to the other processes: %s", exc)

    async def publish(self) -> int:
        state = self.gateway.overrides.snapshot()
        self.version = await self.rows.publish(state)
        return self.version

    # --- polling: apply what other processes published --------------------------------------

    async def refresh(self) -> bool:
        latest = await self.rows.latest()
        if latest is None or latest[0] <= self.version:
            return False
        version, state = latest
        self.apply(state)
        self.version = version
        return True

    def apply(self, state: dict[str, Any]) -> None:
        ov = self.gateway.overrides
        current = ov.snapshot()
        known = set(self.gateway.providers)
        self._applying = True
        try:
            want = dict(state.get("force_degraded") or {})
            for feature in set(current["force_degraded"]) - set(want):
                ov.force_degraded(feature, False)
            for feature, reason in want.items():
                if current["force_degraded"].get(feature) != reason:
                    ov.force_degraded(feature, True, reason=reason)
            provider = state.get("force_provider")
            if provider != current["force_provider"]:
                if provider is None or provider in known:
                    ov.force_provider(provider)
                else:
                    log.warning("override force_provider=%s ignored here: no such provider in this process", provider)
            pins = dict(state.get("pinned_models") or {})
            for name in set(current["pinned_models"]) - set(pins):
                ov.pin_model(name, None)
            for name, pin in pins.items():
                if name in known and current["pinned_models"].get(name) != pin:
                    ov.pin_model(name, pin.get("model"), pin.get("version"))
        finally:
            self._applying = False

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())
        return self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # the database may be restarting: keep the last known state
                log.warning("override poll failed: %s", exc)
            await asyncio.sleep(self.poll_s)

    async def aclose(self) -> None:
        for task in (self._task, self._publish):
            if task is not None and not task.done():
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await task
