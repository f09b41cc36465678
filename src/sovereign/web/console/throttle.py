"""Failed console logins slow the next try down; they never lock the right password out.

    t = LoginThrottle()
    keys = t.keys("alice", "203.0.113.7")
    if (wait := t.wait_s(keys)) > 0: ...        # answer 429 with Retry-After: wait
    t.failed(keys) / t.succeeded(keys)

Two counters per try, each with its own free allowance, then a delay that
doubles with every further failure up to ``max_delay_s``:

* ``(user, address)``: guessing one user's password from one place. Another
  address is not affected, so an attacker cannot keep an operator out.
* ``address``: spraying many user names from one place (a larger allowance).

There is deliberately no counter per user name alone: that would let anyone
delay every operator. Guessing from many addresses is met by the password
policy and the optional TOTP code instead. IPv6 clients count by their /64
(one host usually holds a whole /64). A counter is forgotten ``forget_s``
after its last failure; at most ``max_entries`` are kept (``cachetools``), so
a flood of names or addresses cannot grow memory.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Callable

from cachetools import TTLCache

__all__ = ["LoginThrottle"]


class LoginThrottle:
    def __init__(
        self, *, free_failures: int = 3, address_free_failures: int = 20, base_delay_s: float = 1.0,
        max_delay_s: float = 300.0, forget_s: float = 3600.0, max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = {"user": free_failures, "addr": address_free_failures}
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self._clock = clock
        # key -> (failures, time of the last failure)
        self._state: TTLCache[tuple[str, ...], tuple[int, float]] = TTLCache(max_entries, forget_s, timer=clock)

    @staticmethod
    def keys(user: str, address: str | None) -> list[tuple[str, ...]]:
        where = _bucket(address)
        return [("user", user.casefold(), where), ("addr", where)]

    def delay_s(self, failures: int, kind: str) -> float:
        """How long after its last failure a counter with ``failures`` makes the next try wait."""
        over = failures - self.free[kind]
        if over < 0:
            return 0.0
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** min(over, 60))

    def wait_s(self, keys: list[tuple[str, ...]]) -> float:
        """Seconds until another try is allowed for all ``keys`` (0: allowed now)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            failures, last = self._state.get(key, (0, now))
            wait = max(wait, last + self.delay_s(failures, key[0]) - now)
        return wait

    def failed(self, keys: list[tuple[str, ...]]) -> None:
        now = self._clock()
        for key in keys:
            failures, _ = self._state.get(key, (0, now))
            self._state[key] = (failures + 1, now)

    def succeeded(self, keys: list[tuple[str, ...]]) -> None:
        """The right password (and code): this user's counter from this address starts again.
        The address counter is left to expire, so one valid account does not reset a name spray."""
        for key in keys:
            if key[0] == "user":
                self._state.pop(key, None)

    def __len__(self) -> int:
        return len(self._state)


def _bucket(address: str | None) -> str:
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
