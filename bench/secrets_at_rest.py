"""Secrets at rest: how many stores keep a secret readable in ``sovereign_stores``, before (rows written
as they were before encryption) and after one service start; and what sealing costs a store look-up.

Baseline in the same run: the same stores read without a key (plaintext), against sealed reads.
Prints one JSON object."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sovereign.gateway import Gateway  # noqa: E402
from sovereign.runtime import open_runtime  # noqa: E402
from sovereign.settings import Settings  # noqa: E402
from sovereign.store.database import create_pool  # noqa: E402
from sovereign.store.migrations import migrate  # noqa: E402
from sovereign.store.stores import StoreRepository  # noqa: E402
from sovereign_testkit.pg import TestPostgres  # noqa: E402

STORES = 50
READS = 2000


async def timed_reads(repo: StoreRepository) -> float:
    t = time.perf_counter()
    for _ in range(READS // STORES):
        await repo.list()
    return (time.perf_counter() - t) / READS * 1e6  # µs per store record


async def main() -> dict[str, object]:
    pg = TestPostgres()
    db_url = await pg.new_database("secrets_bench")
    pool = await create_pool(db_url, min_size=1, max_size=4)
    try:
        await migrate(pool)
        plain = StoreRepository(pool)  # no key: rows as Sovereign wrote them before encryption
        for i in range(STORES):
            await plain.upsert(f"s{i}", url=f"https://s{i}.example", consumer_key=f"ck_{i}",
                               consumer_secret=f"cs_{i:040d}", webhook_secret=f"wh-{i:032d}")
        before = await plain.plaintext_secret_stores()
        plain_us = await timed_reads(plain)
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(database_url=db_url, data_dir=Path(data_dir), secret_key=None, embedded_model="none")
            t = time.perf_counter()
            rt = await open_runtime(settings, gateway=Gateway([]))  # first start: seals the plaintext rows
            start_s = time.perf_counter() - t
            try:
                after = await rt.stores.plaintext_secret_stores()
                sealed_us = await timed_reads(rt.stores)
                readable = sum(r.consumer_secret == f"cs_{int(r.id[1:]):040d}" for r in await rt.stores.list())
            finally:
                await rt.close()
    finally:
        await pool.close()
        await pg.drop_database(db_url)
    return {
        "stores": STORES,
        "plaintext_secrets_in_db_before": before,
        "plaintext_secrets_in_db": after,
        "secrets_readable_after_sealing": readable,
        "first_start_seconds": round(start_s, 3),
        "read_us_per_store_plaintext": round(plain_us, 1),
        "read_us_per_store_sealed": round(sealed_us, 1),
        "read_cost_ratio": round(sealed_us / plain_us, 2),
        "targets": {"plaintext_secrets_in_db": 0, "secrets_readable_after_sealing": STORES},
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
