"""Everything one scenario runs against, started fresh and torn down: the drill's I/O edge.

A fresh database on the drill's own PostgreSQL server, two fake providers
(cloud, local), the fake WooCommerce store (in this process: the burst adds
its orders to the store's state), `sovereign serve` as a real process (with
its own worker, or ``--no-worker`` beside ``scenario.workers`` worker
processes), the store connected with `connect_store` (webhooks with a fresh
secret) and an API key allowed the ``fraud`` feature for the checkout calls.

    async with Stack(scenario, pg, work_dir) as stack:
        stack.service_url, stack.api_key, stack.woo, stack.pool, stack.providers["cloud"]
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from sovereign.features.storesync.connect import connect_store
from sovereign.store.api_keys import ApiKeyRepository
from sovereign.store.database import create_pool
from sovereign.store.stores import StoreRepository
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.pg import TestPostgres

from .processes import ChildProcess, FakeProvider, child_env, free_port, spawn, wait_http
from .scenarios import CLOUD, LOCAL, Scenario
from .topology import CLOUD_JURISDICTION, FRAUD_ANSWER, STORE_SETTINGS, ServiceConfig

__all__ = ["STORE_ID", "Stack"]

log = logging.getLogger("sovereign.drills")

STORE_ID = "drill"
_FAST = {"mode": "fast"}


class Stack:
    def __init__(self, scenario: Scenario, pg: TestPostgres, work_dir: Path) -> None:
        self.scenario = scenario
        self.pg = pg
        self.work_dir = work_dir
        self.log_dir = work_dir / "logs" / scenario.name
        self.providers: dict[str, FakeProvider] = {}
        self.baseline: dict[str, dict[str, Any]] = {CLOUD: dict(_FAST), LOCAL: dict(_FAST)}
        self.baseline.update({f.provider: dict(f.step) for f in scenario.baseline})
        self.woo = FakeWooStore(safe_ports="any")  # Sovereign on a random port: the http_allowed_safe_ports filter allows it
        self.db_url = ""
        self.pool: asyncpg.Pool | None = None
        self.config: ServiceConfig | None = None
        self.serve: ChildProcess | None = None
        self.workers: list[ChildProcess] = []
        self.api_key = ""

    @property
    def service_url(self) -> str:
        assert self.config is not None
        return self.config.public_url

    @property
    def pgdata(self) -> Path:
        return self.pg.server.pgdata

    async def start(self) -> "Stack":
        self.db_url = await self.pg.new_database("drill")
        self.pool = await create_pool(self.db_url, min_size=1, max_size=4)
        cloud = FakeProvider(CLOUD, CLOUD_JURISDICTION, FRAUD_ANSWER, self.log_dir)
        local = FakeProvider(LOCAL, "local", FRAUD_ANSWER, self.log_dir)
        self.providers = {CLOUD: cloud, LOCAL: local}
        await asyncio.gather(cloud.start(), local.start(), self.woo.start())
        await self.restore_providers()
        self.config = ServiceConfig(
            database_url=self.db_url, port=free_port(), cloud_url=cloud.openai_url, local_url=local.openai_url,
            data_dir=str(self.work_dir / "data"),
        )
        env = child_env(self.config.env())
        serve_args = ["-m", "sovereign.cli", "serve"] + (["--no-worker"] if self.scenario.workers else [])
        self.serve = spawn("serve", serve_args, env, self.log_dir)
        self.workers = [
            spawn(f"worker-{i + 1}", ["-m", "sovereign.cli", "worker"], env, self.log_dir)
            for i in range(self.scenario.workers)
        ]
        await wait_http(f"{self.service_url}/healthz", timeout_s=90, proc=self.serve)
        stores = StoreRepository(self.pool)
        await connect_store(
            stores, url=self.woo.url, consumer_key=self.woo.consumer_key, consumer_secret=self.woo.consumer_secret,
            public_url=self.service_url, store_id=STORE_ID, settings=dict(STORE_SETTINGS),
        )
        # Reconciliation looks at changes since the last sync: the captured orders are history, not news.
        await stores.mark_synced(STORE_ID, datetime.now(timezone.utc))
        _, self.api_key = await ApiKeyRepository(self.pool).create(
            "drill-checkout", features=["fraud"], rate_per_minute=1_000_000
        )
        await self.wait_ready()
        return self

    async def restore_providers(self) -> None:
        """Every provider back to its baseline behaviour."""
        await asyncio.gather(*(p.set_mode(self.baseline[n]) for n, p in self.providers.items()))

    async def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Until /readyz says ready (database, migrations, a live worker)."""
        deadline = time.monotonic() + timeout_s
        last = ""
        async with httpx.AsyncClient(timeout=3.0) as client:
            while time.monotonic() < deadline:
                for proc in [self.serve, *self.workers]:
                    if proc is not None and not proc.alive():
                        raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
                try:
                    r = await client.get(f"{self.service_url}/readyz")
                    if r.status_code == 200:
                        return
                    last = r.text[:300]
                except httpx.HTTPError as exc:
                    last = str(exc)
                await asyncio.sleep(0.25)
        raise TimeoutError(f"sovereign serve not ready after {timeout_s:.0f}s: {last}")

    async def stop_service(self) -> dict[str, int | None]:
        """SIGTERM `sovereign serve` and the workers (they finish running jobs and flush the audit log);
        returns each process's exit code (None: it had to be killed; -9: killed by the drill)."""
        procs = [p for p in [*self.workers, self.serve] if p is not None]
        codes = await asyncio.gather(*(asyncio.to_thread(p.stop, 15.0) for p in procs), return_exceptions=True)
        return {p.name: (c if isinstance(c, int) else None) for p, c in zip(procs, codes)}

    async def close(self) -> None:
        await self.stop_service()
        await asyncio.gather(*(p.stop() for p in self.providers.values()), return_exceptions=True)
        await self.woo.stop()
        if self.pool is not None:
            await self.pool.close()
        if self.db_url:
            try:
                await self.pg.drop_database(self.db_url)
            except Exception as exc:  # noqa: BLE001 - teardown must not hide the drill's own result
                log.warning("could not drop the drill database: %s", exc)

    async def __aenter__(self) -> "Stack":
        try:
            return await self.start()
        except BaseException:
            await self.close()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
