"""The optional second factor of a console login: a TOTP code (RFC 6238, ``pyotp``) after the password.

    factor = SecondFactor(pool, box)
    enrolment = await factor.enable("alice")      # .secret and .uri (otpauth://...) shown once, then sealed
    await factor.has("alice")                     # True once enabled
    await factor.check("alice", "123 456")        # True once per code: a used code is refused (replay)
    await factor.disable("alice")

A code is checked with ``TOTP.verify(valid_window=1)`` (the step before and after the current one
count, for clock drift), in constant time. The step the code belongs to is recorded atomically; a code
of that step or an earlier one is refused afterwards, so a code seen over someone's shoulder or in a
log cannot be used again. The secret is stored sealed with the service's secret key (AES-GCM), never
in plaintext. Wrong codes count in the login throttle like wrong passwords (``pages_auth``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Callable

import asyncpg
import pyotp

from sovereign.store.console_totp import ConsoleTotpRepository
from sovereign.store.secrets_box import SecretBox

from .accounts import UserError

__all__ = ["Enrolment", "SecondFactor", "ISSUER", "second_factor"]

ISSUER = "Sovereign"
_CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True, slots=True)
class Enrolment:
    user: str
    secret: str  # base32, what an authenticator app takes when typed in
    uri: str  # otpauth://totp/...: what a QR code carries


class SecondFactor:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox, *, clock: Callable[[], float] = time.time) -> None:
        self.repo = ConsoleTotpRepository(pool, box)
        self._clock = clock

    async def enable(self, name: str, *, replace: bool = False) -> Enrolment:
        """A new secret for ``name``, stored sealed. UserError: no such user, or one already enrolled."""
        state = await self.repo.state(name)
        if not state.exists:
            raise UserError(f"no console user {name!r}")
        if state.enabled and not replace:
            raise UserError(f"{name} already has a TOTP second factor (--replace makes a new secret)")
        secret = pyotp.random_base32()
        if not await self.repo.enable(name, secret):
            raise UserError(f"no console user {name!r}")
        return Enrolment(name, secret, pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER))

    async def disable(self, name: str) -> bool:
        return await self.repo.disable(name)

    async def has(self, name: str) -> bool:
        return (await self.repo.state(name)).enabled

    async def enabled_users(self) -> set[str]:
        return await self.repo.enabled_users()

    async def check(self, name: str, code: str) -> bool:
        """True when ``code`` is the user's current code (one step of drift either way) and not used before."""
        code = re.sub(r"[\s-]", "", code or "")
        if not _CODE.match(code):
            return False
        secret = await self.repo.secret_of(name)
        if secret is None:
            return False
        totp = pyotp.TOTP(secret)
        now = self._clock()
        if not totp.verify(code, for_time=now, valid_window=1):
            return False
        step = _step_of(totp, code, now)
        return step is not None and await self.repo.claim_step(name, step)


def _step_of(totp: pyotp.TOTP, code: str, now: float) -> int | None:
    """The time step (within one of now's) whose code is ``code``: the later one when two match."""
    current = totp.timecode(now)
    for step in (current + 1, current, current - 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def second_factor(pool: asyncpg.Pool, box: SecretBox | None) -> SecondFactor:
    """The second factor over the runtime's pool and secret box (``rt.stores.box``)."""
    if box is None:
        raise RuntimeError("the console's second factor needs the service's secret key (SOVEREIGN_SECRET_KEY)")
    return SecondFactor(pool, box)
