"""Console users and their sessions, in PostgreSQL (``sovereign_console_users`` / ``_sessions``).

    users = ConsoleUsers(pool)
    await users.add("alice", "a long passphrase")
    user = await users.authenticate("alice", "a long passphrase")     # name or None
    session, token = await Sessions(pool).create("alice")             # token goes in the cookie
    session = await Sessions(pool).get(token)                          # None when expired / logged out

The cookie carries a random token; only its sha256 is stored. A session
expires ``ttl`` after login, or ``idle`` after its last request, whichever
comes first; each carries its own CSRF token.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from .passwords import burn_time, check_strength, hash_password, verify_password

__all__ = ["ConsoleUsers", "ConsoleUser", "Session", "Sessions", "UserError", "SESSION_TTL", "SESSION_IDLE"]

SESSION_TTL = timedelta(hours=12)
SESSION_IDLE = timedelta(hours=2)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class UserError(ValueError):
    """A user that cannot be added or changed (see the message)."""


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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ConsoleUsers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, name: str, password: str, *, replace: bool = False) -> ConsoleUser:
        """Create a user (``replace``: or set an existing user's password, enabling it again)."""
        if not _NAME.match(name):
            raise UserError("a user name is 1-64 letters, digits, '.', '_', '@' or '-'")
        problem = check_strength(password, name)
        if problem:
            raise UserError(problem)
        hashed = await asyncio.to_thread(hash_password, password)
        conflict = (
            "DO UPDATE SET password_hash = EXCLUDED.password_hash, disabled_at = NULL" if replace else "DO NOTHING"
        )
        r = await self.pool.fetchrow(
            f"INSERT INTO sovereign_console_users (name, password_hash) VALUES ($1, $2) "
            f"ON CONFLICT (name) {conflict} RETURNING *",
            name, hashed,
        )
        if r is None:
            raise UserError(f"user {name!r} exists (use --replace to set a new password)")
        if replace:  # a new password ends every session opened with the old one
            await self.pool.execute("DELETE FROM sovereign_console_sessions WHERE user_name = $1", name)
        return _user(r)

    async def disable(self, name: str) -> bool:
        """Disable a user and end their sessions. False when there is no such user."""
        async with self.pool.acquire() as conn, conn.transaction():
            res = await conn.execute(
                "UPDATE sovereign_console_users SET disabled_at = coalesce(disabled_at, now()) WHERE name = $1", name
            )
            await conn.execute("DELETE FROM sovereign_console_sessions WHERE user_name = $1", name)
        return res.endswith(" 1")

    async def list(self) -> list[ConsoleUser]:
        return [_user(r) for r in await self.pool.fetch("SELECT * FROM sovereign_console_users ORDER BY name")]

    async def authenticate(self, name: str, password: str, *, record: bool = True) -> str | None:
        """The user's name when the password is right and the user enabled; else None (same cost either way).
        ``record=False``: a second factor follows, and ``record_login`` is called once it passed."""
        r = await self.pool.fetchrow(
            "SELECT name, password_hash, disabled_at FROM sovereign_console_users WHERE name = $1", name
        )
        if r is None:
            await asyncio.to_thread(burn_time, password)
            return None
        ok = await asyncio.to_thread(verify_password, password, r["password_hash"])
        if not ok or r["disabled_at"] is not None:
            return None
        if record:
            await self.record_login(name)
        return str(r["name"])

    async def record_login(self, name: str) -> None:
        await self.pool.execute("UPDATE sovereign_console_users SET last_login_at = now() WHERE name = $1", name)


def _user(r: asyncpg.Record) -> ConsoleUser:
    return ConsoleUser(r["name"], r["created_at"], r["last_login_at"], r["disabled_at"] is not None)


class Sessions:
    def __init__(self, pool: asyncpg.Pool, *, ttl: timedelta = SESSION_TTL, idle: timedelta = SESSION_IDLE) -> None:
        self.pool = pool
        self.ttl = ttl
        self.idle = idle

    async def create(self, user: str) -> tuple[Session, str]:
        """A new session for ``user``; returns it and the token for the cookie (shown once, never stored)."""
        token = secrets.token_urlsafe(32)
        r = await self.pool.fetchrow(
            "INSERT INTO sovereign_console_sessions (token_hash, user_name, csrf, expires_at) "
            "VALUES ($1, $2, $3, now() + $4::interval) RETURNING *",
            _digest(token), user, secrets.token_urlsafe(32), self.ttl,
        )
        return _session(r), token

    async def get(self, token: str | None) -> Session | None:
        """The live session for a cookie token, its idle timer restarted; None when unknown or expired."""
        if not token or len(token) > 200:
            return None
        r = await self.pool.fetchrow(
            """
            UPDATE sovereign_console_sessions s SET last_seen_at = now()
            FROM sovereign_console_users u
            WHERE s.token_hash = $1 AND u.name = s.user_name AND u.disabled_at IS NULL
              AND s.expires_at > now() AND s.last_seen_at > now() - $2::interval
            RETURNING s.*
            """,
            _digest(token), self.idle,
        )
        return _session(r) if r else None

    async def end(self, session: Session) -> None:
        await self.pool.execute("DELETE FROM sovereign_console_sessions WHERE token_hash = $1", session.token_hash)

    async def purge_expired(self) -> int:
        res = await self.pool.execute(
            "DELETE FROM sovereign_console_sessions WHERE expires_at <= now() OR last_seen_at <= now() - $1::interval",
            self.idle,
        )
        return int(res.split()[-1])

    async def flash(self, session: Session, message: str) -> None:
        """Keep one message for the next page the session shows."""
        await self.pool.execute(
            "UPDATE sovereign_console_sessions SET flash = $2 WHERE token_hash = $1", session.token_hash, message[:500]
        )

    async def take_flash(self, session: Session) -> str | None:
        return await self.pool.fetchval(
            "UPDATE sovereign_console_sessions s SET flash = NULL FROM sovereign_console_sessions old "
            "WHERE s.token_hash = $1 AND old.token_hash = s.token_hash AND old.flash IS NOT NULL RETURNING old.flash",
            session.token_hash,
        )


def _session(r: asyncpg.Record) -> Session:
    return Session(user=r["user_name"], csrf=r["csrf"], token_hash=r["token_hash"], expires_at=r["expires_at"])
