"""Store secrets sealed at rest (AES-GCM), with the real embedded PostgreSQL: nothing readable in the
table, plaintext from before sealed at start, rotation, and a wrong or missing key refused clearly."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

import asyncpg
import pytest

from sovereign.gateway import Gateway
from sovereign.runtime import open_runtime
from sovereign.settings import Settings
from sovereign.store.migrations import migrate
from sovereign.store.secret_rotation import rotate_key_file, rotate_to_current
from sovereign.store.secrets_box import SecretBox, SecretKeyError, key_id, new_key, parse_key, read_key_file
from sovereign.store.stores import StoreRepository

ROOT = Path(__file__).resolve().parents[2]
CS, WS = "cs_0123456789abcdef0123456789abcdef01234567", "whsec-Zm9vYmFyYmF6cXV4"


def box(*keys: str) -> SecretBox:
    return SecretBox([parse_key(k, "test") for k in keys])


async def raw_rows(pool: asyncpg.Pool) -> list[str]:
    return [r["t"] for r in await pool.fetch("SELECT s::text AS t FROM sovereign_stores s")]


async def add_store(repo: StoreRepository, store_id: str = "shop") -> None:
    await repo.upsert(store_id, url="https://shop.example", consumer_key="ck_abc", consumer_secret=CS + store_id,
                      webhook_secret=WS + store_id)


async def test_the_table_holds_no_plaintext_secret_and_the_repository_reads_them_back(pool: asyncpg.Pool) -> None:
    await migrate(pool)
    k = new_key()
    repo = StoreRepository(pool, box=box(k))
    await add_store(repo)
    rows = await raw_rows(pool)
    assert len(rows) == 1 and CS not in rows[0] and WS not in rows[0] and "v1:" + key_id(parse_key(k, "k")) in rows[0]
    rec = await StoreRepository(pool, box=box(k)).get("shop")  # a fresh repository: no cache
    assert rec is not None and rec.consumer_secret == CS + "shop" and rec.webhook_secret == WS + "shop"
    assert await repo.plaintext_secret_stores() == 0


async def test_plaintext_rows_are_sealed_at_first_start_with_a_0600_key_file(db_url: str, tmp_path: Path) -> None:
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
    try:
        await migrate(pool)
        await add_store(StoreRepository(pool), "old")  # no box: as rows were before encryption
        assert await StoreRepository(pool).plaintext_secret_stores() == 1
        settings = Settings(database_url=db_url, data_dir=tmp_path, secret_key=None, embedded_model="none")
        rt = await open_runtime(settings, gateway=Gateway([]))
        try:
            key_file = tmp_path / "secret.key"
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
            rows = await raw_rows(pool)
            assert CS not in rows[0] and WS not in rows[0] and await rt.stores.plaintext_secret_stores() == 0
            rec = await rt.stores.get("old")
            assert rec is not None and rec.consumer_secret == CS + "old" and rec.webhook_secret == WS + "old"
        finally:
            await rt.close()
        rt = await open_runtime(settings, gateway=Gateway([]))  # a second start reuses the key, changes nothing
        try:
            assert len(read_key_file(key_file)) == 1 and (await rt.stores.get("old")).webhook_secret == WS + "old"  # type: ignore[union-attr]
        finally:
            await rt.close()
    finally:
        await pool.close()


async def test_rotation_reseals_every_secret_under_a_new_key_and_drops_the_old(pool: asyncpg.Pool, tmp_path: Path) -> None:
    await migrate(pool)
    key_file = tmp_path / "secret.key"
    old = new_key()
    key_file.write_text(old + "\n")
    repo = StoreRepository(pool, box=SecretBox(read_key_file(key_file)))
    for sid in ("a", "b", "c"):
        await add_store(repo, sid)
    await repo.remove("c")  # a removed store's empty secrets stay empty
    before = await raw_rows(pool)
    out = await rotate_key_file(repo, key_file)
    assert out.resealed == 2 and out.retired == [key_id(parse_key(old, "old"))] and out.key_id != out.retired[0]
    keys = read_key_file(key_file)
    assert len(keys) == 1 and key_id(keys[0]) == out.key_id and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    after = await raw_rows(pool)
    assert after != before and all(CS not in r and WS not in r for r in after)
    assert await repo.secret_key_ids() == {out.key_id: 4}
    fresh = StoreRepository(pool, box=SecretBox(keys))
    assert [(s.id, s.consumer_secret, s.webhook_secret) for s in await fresh.list()] == [
        ("a", CS + "a", WS + "a"), ("b", CS + "b", WS + "b")]
    with pytest.raises(SecretKeyError, match="does not hold"):
        await StoreRepository(pool, box=box(old)).get("a")  # the old key opens nothing any more


async def test_rotation_from_the_environment_reads_old_keys_and_writes_the_new(pool: asyncpg.Pool) -> None:
    await migrate(pool)
    old, new = new_key(), new_key()
    await add_store(StoreRepository(pool, box=box(old)))
    repo = StoreRepository(pool, box=box(new, old))  # SOVEREIGN_SECRET_KEY=new, SOVEREIGN_SECRET_KEYS_OLD=old
    out = await rotate_to_current(repo)
    assert out.resealed == 1 and out.key_file is None
    assert (await StoreRepository(pool, box=box(new)).get("shop")).consumer_secret == CS + "shop"  # type: ignore[union-attr]


async def test_a_wrong_key_is_refused_clearly_and_changes_nothing(pool: asyncpg.Pool, db_url: str, tmp_path: Path) -> None:
    await migrate(pool)
    right, wrong = new_key(), new_key()
    await add_store(StoreRepository(pool, box=box(right)))
    await add_store(StoreRepository(pool), "legacy")  # a plaintext row that a wrong-key start must not seal
    before = await raw_rows(pool)
    with pytest.raises(SecretKeyError, match=f"sealed with key {key_id(parse_key(right, 'r'))}"):
        await StoreRepository(pool, box=box(wrong)).get("shop")
    settings = Settings(database_url=db_url, data_dir=tmp_path, secret_key=wrong, embedded_model="none")
    with pytest.raises(SecretKeyError):
        await open_runtime(settings, gateway=Gateway([]))
    assert await raw_rows(pool) == before  # nothing sealed under the wrong key, nothing lost
    with pytest.raises(SecretKeyError, match="not a valid key"):
        await open_runtime(Settings(database_url=db_url, secret_key="short"), gateway=Gateway([]))


async def test_a_sealed_value_moved_to_another_store_does_not_open(pool: asyncpg.Pool) -> None:
    await migrate(pool)
    k = new_key()
    repo = StoreRepository(pool, box=box(k))
    await add_store(repo, "a")
    await add_store(repo, "b")
    await pool.execute("UPDATE sovereign_stores SET webhook_secret = (SELECT webhook_secret FROM sovereign_stores "
                       "WHERE id = 'a') WHERE id = 'b'")
    with pytest.raises(SecretKeyError, match="altered or moved"):
        await StoreRepository(pool, box=box(k)).get("b")


async def sovereign(db_url: str, data_dir: Path, key: str | None, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOVEREIGN_SECRET_KEY"}
    env.update({"SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_DATA_DIR": str(data_dir), "SOVEREIGN_EMBEDDED_MODEL": "none",
                "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")})
    if key:
        env["SOVEREIGN_SECRET_KEY"] = key
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "sovereign.cli", *args, env=env, cwd=data_dir,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, " ".join(out.decode().split())


async def test_the_cli_rotates_and_names_a_wrong_key_without_a_stack_trace(pool: asyncpg.Pool, db_url: str, tmp_path: Path) -> None:
    await migrate(pool)
    key_file = tmp_path / "secret.key"
    key_file.write_text(new_key() + "\n")
    os.chmod(key_file, 0o600)
    await add_store(StoreRepository(pool, box=SecretBox(read_key_file(key_file))))
    code, out = await sovereign(db_url, tmp_path, None, "secrets", "rotate")
    assert code == 0 and "resealed 1 store(s) under key" in out, out
    assert (await StoreRepository(pool, box=SecretBox(read_key_file(key_file))).get("shop")).consumer_secret == CS + "shop"  # type: ignore[union-attr]
    code, out = await sovereign(db_url, tmp_path, new_key(), "secrets", "status")
    assert code == 2 and "secret key:" in out and "SOVEREIGN_SECRET_KEY" in out and "Traceback" not in out, out
