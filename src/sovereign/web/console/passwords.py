"""Console passwords: scrypt with a random salt, compared in constant time. Never stored in clear.

    stored = hash_password("correct horse")        # "scrypt$16384$8$1$<salt>$<hash>"
    verify_password("correct horse", stored)       # True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from zxcvbn import zxcvbn

__all__ = ["MIN_LENGTH", "burn_time", "check_strength", "hash_password", "verify_password"]

MIN_LENGTH = 12
_N, _R, _P, _LEN = 2**14, 8, 1, 32  # ~16 MiB and a few tens of ms per hash


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=64 * 1024 * 1024)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(_scrypt(password, salt, _N, _R, _P, _LEN))}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY = hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Spend what a real check costs (unknown user): login timing does not tell which names exist."""
    verify_password(password, _DUMMY)


MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable" (about 10^8 guesses or more)


def check_strength(password: str, user: str = "") -> str | None:
    """Why ``password`` is not acceptable (common, guessable, too short, or the user name), or None."""
    if len(password) < MIN_LENGTH:
        return f"a console password needs at least {MIN_LENGTH} characters"
    if len(set(password)) < 5:
        return "a console password needs more than a few distinct characters"
    # zxcvbn is slow on very long input: the first 100 characters decide (a longer one is not weaker)
    result = zxcvbn(password[:100], user_inputs=[u for u in (user, "sovereign", "console", "woocommerce") if u])
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "built from common words, names or the user name"
        tips = " ".join(result["feedback"].get("suggestions") or [])
        return f"this password is too easy to guess ({hint.rstrip('.')}). {tips or 'Use a few uncommon words.'}"
    return None
