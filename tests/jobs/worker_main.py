"""Run a real Worker in its own process for the multi-process tests.

usage: python worker_main.py DATABASE_URL [GROUPS]   (settings via SOVEREIGN_* env vars)
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sovereign.jobs import Worker  # noqa: E402
from sovereign.settings import GroupConfig, Settings  # noqa: E402
from sovereign.store.database import create_pool  # noqa: E402
from tests.jobs.handlers import registry  # noqa: E402


async def main(url: str, groups: list[str] | None) -> None:
    settings = Settings(database_url=url)
    settings.groups.setdefault("capped", GroupConfig(concurrency=2))
    pool = await create_pool(url, min_size=1, max_size=8)
    worker = Worker(pool, registry, settings, groups=groups, services=pool)
    print(f"worker {worker.id} ready", flush=True)
    await worker.run(install_signal_handlers=True)
    await pool.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(main(sys.argv[1], sys.argv[2].split(",") if len(sys.argv) > 2 else None))
