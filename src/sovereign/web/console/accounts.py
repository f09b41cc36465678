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
from datetime import timedelta

import asyncpg

from sovereign.store.console_accounts import ConsoleUser, ConsoleUserRows, Session, SessionRows

from .passwords import burn_time, check_strength, hash_password, verify_password

__all__ = ["ConsoleUsers", "ConsoleUser", "Session", "Sessions", "UserError", "SESSION_TTL", "SESSION_IDLE"]

SESSION_TTL = timedelta(hours=12)
SESSION_IDLE = timedelta(hours=2)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class UserError(ValueError):
    """A user that cannot be added or changed (see the message)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ConsoleUsers:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._rows = ConsoleUserRows(pool)

    async def add(self, name: str, password: str, *, replace: bool = False) -> ConsoleUser:
        """Create a user (``replace``: or set an existing user's password, enabling it again)."""
        if not _NAME.match(name):
            raise UserError("a user name is 1-64 letters, digits, '.', '_', '@' or '-'")
        problem = check_strength(password, name)
        if problem:
            raise UserError(problem)
        hashed = await asyncio.to_thread(hash_password, password)
        user = await self._rows.insert(name, hashed, replace=replace)  # a new password ends the old sessions
        if user is None:
            raise UserError(f"user {name!r} exists (use --replace to set a new password)")
        return user

    async def disable(self, name: str) -> bool:
        """Disable a user and end their sessions. False when there is no such user."""
        return await self._rows.disable(name)

    async def list(self) -> list[ConsoleUser]:
        return await self._rows.all()

    async def authenticate(self, name: str, password: str, *, record: bool = True) -> str | None:
        """The user's name when the password is right and the user enabled; else None (same cost either way).
        ``record=False``: a second factor follows, and ``record_login`` is called once it passed."""
        found = await self._rows.credentials(name)
        if found is None:
            await asyncio.to_thread(burn_time, password)
            return None
        ok = await asyncio.to_thread(verify_password, password, found.password_hash)
        if not ok or found.disabled:
            return None
        if record:
            await self.record_login(name)
        return found.name

    async def record_login(self, name: str) -> None:
        await self._rows.record_login(name)


class Sessions:
    def __init__(self, pool: asyncpg.Pool, *, ttl: timedelta = SESSION_TTL, idle: timedelta = SESSION_IDLE) -> None:
        self.pool = pool
        self.ttl = ttl
        self.idle = idle
        self._rows = SessionRows(pool)

    async def create(self, user: str) -> tuple[Session, str]:
        """A new session for ``user``; returns it and the token for the cookie (shown once, never stored)."""
        token = secrets.token_urlsafe(32)
        return await self._rows.insert(_digest(token), user, secrets.token_urlsafe(32), self.ttl), token

    async def get(self, token: str | None) -> Session | None:
        """The live session for a cookie token, its idle timer restarted; None when unknown or expired."""
        if not token or len(token) > 200:
            return None
        return await self._rows.touch(_digest(token), self.idle)

    async def end(self, session: Session) -> None:
        await self._rows.delete(session.token_hash)

    async def purge_expired(self) -> int:
        return await self._rows.delete_expired(self.idle)

    async def flash(self, session: Session, message: str) -> None:
        """Keep one message for the next page the session shows."""
        await self._rows.set_flash(session.token_hash, message[:500])

    async def take_flash(self, session: Session) -> str | None:
        return await self._rows.take_flash(session.token_hash)
