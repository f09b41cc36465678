"""Console users' TOTP secrets (``sovereign_console_users.totp_*``), sealed at rest with the service's key.

    repo = ConsoleTotpRepository(pool, box)
    await repo.enable("alice", secret)          # False: no such user
    secret = await repo.secret_of("alice")      # None: no second factor
    await repo.claim_step("alice", step)        # False: a code of this step (or a later one) was used already
    await repo.disable("alice")
    await repo.reseal()                         # key rotation: every secret under the box's current key

The secret is sealed with context ``console_user:<name>:totp``: a sealed value copied to another user's
row does not open. ``claim_step`` is one atomic UPDATE, so two logins racing with the same code cannot
both win.
"""

from __future__ import annotations

import asyncpg

from sovereign.store.secrets_box import SecretBox

__all__ = ["ConsoleTotpRepository", "TotpState"]


def _context(name: str) -> str:
    return f"console_user:{name}:totp"


class TotpState:
    """Whether a user exists and has a second factor."""

    __slots__ = ("exists", "enabled")

    def __init__(self, exists: bool, enabled: bool) -> None:
        self.exists, self.enabled = exists, enabled


class ConsoleTotpRepository:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox) -> None:
        self.pool = pool
        self.box = box

    async def state(self, name: str) -> TotpState:
        r = await self.pool.fetchrow("SELECT totp_secret FROM sovereign_console_users WHERE name = $1", name)
        return TotpState(r is not None, r is not None and r["totp_secret"] is not None)

    async def enable(self, name: str, secret: str) -> bool:
        """Store ``secret`` sealed (replacing any earlier one). False when there is no such user."""
        res = await self.pool.execute(
            "UPDATE sovereign_console_users SET totp_secret = $2, totp_enabled_at = now(), totp_last_step = NULL "
            "WHERE name = $1",
            name, self.box.seal(secret, context=_context(name)),
        )
        return res.endswith(" 1")

    async def disable(self, name: str) -> bool:
        """Remove the second factor. False when there is no such user."""
        res = await self.pool.execute(
            "UPDATE sovereign_console_users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL "
            "WHERE name = $1",
            name,
        )
        return res.endswith(" 1")

    async def secret_of(self, name: str) -> str | None:
        sealed = await self.pool.fetchval("SELECT totp_secret FROM sovereign_console_users WHERE name = $1", name)
        return None if sealed is None else self.box.open(sealed, context=_context(name))

    async def enabled_users(self) -> set[str]:
        rows = await self.pool.fetch("SELECT name FROM sovereign_console_users WHERE totp_secret IS NOT NULL")
        return {r["name"] for r in rows}

    async def claim_step(self, name: str, step: int) -> bool:
        """Record ``step`` as used; False when it (or a later step) was used already: a replay."""
        res = await self.pool.execute(
            "UPDATE sovereign_console_users SET totp_last_step = $2 "
            "WHERE name = $1 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)",
            name, step,
        )
        return res.endswith(" 1")

    async def reseal(self) -> int:
        """Seal again, under the box's current key, every secret sealed under another (key rotation).
        One transaction; a secret that does not open raises before anything changes. Returns the rows rewritten."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT name, totp_secret FROM sovereign_console_users WHERE totp_secret IS NOT NULL FOR UPDATE"
            )
            changes = [
                (r["name"], self.box.seal(self.box.open(r["totp_secret"], context=_context(r["name"])),
                                          context=_context(r["name"])))
                for r in rows if self.box.needs_reseal(r["totp_secret"])
            ]
            for name, sealed in changes:
                await conn.execute("UPDATE sovereign_console_users SET totp_secret = $2 WHERE name = $1", name, sealed)
        return len(changes)
