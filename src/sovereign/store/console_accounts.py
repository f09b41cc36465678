"""Console users and sessions as rows (``sovereign_console_users`` / ``sovereign_console_sessions``).

The rules (names, password strength and hashing, tokens) live in ``web/console/accounts.py``;
this module only stores and finds. Session tokens arrive here as their sha256.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

__all__ = ["ConsoleUser", "ConsoleUserRows", "Session", "SessionRows"]


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    name: str
    created_at: datetime
    last_login_at: datetime | None
    disabled: bool


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    csrf: str
    token_hash: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    name: str
    password_hash: str
    disabled: bool


class ConsoleUserRows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def insert(self, name: str, password_hash: str, *, replace: bool) -> ConsoleUser | None:
        """The new (or, with ``replace``, updated and enabled again) user; None when it exists and not replaced.
        A replaced password ends every session opened with the old one."""
        conflict = (
            "DO UPDATE SET password_hash = EXCLUDED.password_hash, disabled_at = NULL" if replace else "DO NOTHING"
        )
        async with self.pool.acquire() as conn, conn.transaction():
            r = await conn.fetchrow(
                f"INSERT INTO sovereign_console_users (name, password_hash) VALUES ($1, $2) "
                f"ON CONFLICT (name) {conflict} RETURNING *",
                name, password_hash,
            )
            if r is not None and replace:
                await conn.execute("DELETE FROM sovereign_console_sessions WHERE user_name = $1", name)
        return _user(r) if r is not None else None

    async def disable(self, name: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            res = await conn.execute(
                "UPDATE sovereign_console_users SET disabled_at = coalesce(disabled_at, now()) WHERE name = $1", name
            )
            await conn.execute("DELETE FROM sovereign_console_sessions WHERE user_name = $1", name)
        return res.endswith(" 1")

    async def all(self) -> list[ConsoleUser]:
        return [_user(r) for r in await self.pool.fetch("SELECT * FROM sovereign_console_users ORDER BY name")]

    async def credentials(self, name: str) -> Credentials | None:
        r = await self.pool.fetchrow(
            "SELECT name, password_hash, disabled_at FROM sovereign_console_users WHERE name = $1", name
        )
        return Credentials(str(r["name"]), r["password_hash"], r["disabled_at"] is not None) if r else None

    async def record_login(self, name: str) -> None:
        await self.pool.execute("UPDATE sovereign_console_users SET last_login_at = now() WHERE name = $1", name)


class SessionRows:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def insert(self, token_hash: str, user: str, csrf: str, ttl: timedelta) -> Session:
        r = await self.pool.fetchrow(
            "INSERT INTO sovereign_console_sessions (token_hash, user_name, csrf, expires_at) "
            "VALUES ($1, $2, $3, now() + $4::interval) RETURNING *",
            token_hash, user, csrf, ttl,
        )
        return _session(r)

    async def touch(self, token_hash: str, idle: timedelta) -> Session | None:
        """The live session (its user enabled, not expired, not idle too long) with its idle timer restarted."""
        r = await self.pool.fetchrow(
            """
            UPDATE sovereign_console_sessions s SET last_seen_at = now()
            FROM sovereign_console_users u
            WHERE s.token_hash = $1 AND u.name = s.user_name AND u.disabled_at IS NULL
              AND s.expires_at > now() AND s.last_seen_at > now() - $2::interval
            RETURNING s.*
            """,
            token_hash, idle,
        )
        return _session(r) if r else None

    async def delete(self, token_hash: str) -> None:
        await self.pool.execute("DELETE FROM sovereign_console_sessions WHERE token_hash = $1", token_hash)

    async def delete_expired(self, idle: timedelta) -> int:
        res = await self.pool.execute(
            "DELETE FROM sovereign_console_sessions WHERE expires_at <= now() OR last_seen_at <= now() - $1::interval",
            idle,
        )
        return int(res.split()[-1])

    async def set_flash(self, token_hash: str, message: str) -> None:
        await self.pool.execute("UPDATE sovereign_console_sessions SET flash = $2 WHERE token_hash = $1", token_hash, message)

    async def take_flash(self, token_hash: str) -> str | None:
        return await self.pool.fetchval(
            "UPDATE sovereign_console_sessions s SET flash = NULL FROM sovereign_console_sessions old "
            "WHERE s.token_hash = $1 AND old.token_hash = s.token_hash AND old.flash IS NOT NULL RETURNING old.flash",
            token_hash,
        )


def _user(r: asyncpg.Record) -> ConsoleUser:
    return ConsoleUser(r["name"], r["created_at"], r["last_login_at"], r["disabled_at"] is not None)


def _session(r: asyncpg.Record) -> Session:
    return Session(user=r["user_name"], csrf=r["csrf"], token_hash=r["token_hash"], expires_at=r["expires_at"])
