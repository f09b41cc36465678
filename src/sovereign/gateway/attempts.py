"""The tries on one provider: breaker gate, own throttle, retries with jitter, all inside the deadline.

``run_attempts`` returns ``(value, started_at)`` from the first try whose
``op`` succeeds, or ``None`` when the router should move on to the next
candidate. Every try is preceded by ``breaker.allow()``, so no call ever
reaches an open circuit; retries never sleep past the request's deadline.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Sequence

from .admission import API
from .config import RetrySettings
from .events import AttemptFailed, Emitter
from .ratelimit import estimate_tokens
from .retry import backoff
from .route import Route
from .types import CLIENT_ERRORS, ChatRequest, GatewayError, ProviderError

Op = Callable[[Route, ChatRequest, float], Awaitable[Any]]

DEADLINE_SLACK = 0.005  # below this many seconds left, a try cannot usefully start
# Failures not retried in place while other candidates remain: a timeout already cost a whole
# provider timeout, and a 429 says the provider is throttled. Quick ones (5xx, reset) are retried.
SLOW_FAILURES = frozenset({"timeout", "rate_limited"})


class Call:
    """What happened so far during one gateway call."""

    __slots__ = ("attempts", "errors", "throttled", "open", "busy", "slot")

    def __init__(self) -> None:
        self.attempts = 0
        self.errors: list[ProviderError] = []
        self.throttled: list[str] = []
        self.open: list[str] = []
        self.busy: list[tuple[str, float]] = []  # (provider, retry after): no capacity for this call's lane
        self.slot: Any = None  # the Bulkhead whose slot an open stream holds

    def failed(self, route: Route, error: ProviderError, request: ChatRequest, emit: Emitter) -> None:
        if not error.provider:
            error.provider = route.name
        self.errors.append(error)
        emit(AttemptFailed(request.feature, route.name, error.kind, error.status, error.retryable))

    def failure(self, request: ChatRequest, routes: Sequence[Route]) -> GatewayError:
        """The ``GatewayError`` that ends a call no provider could answer."""
        parts = [str(e) for e in self.errors[-3:]]
        if self.open:
            parts.append("circuit open: " + ", ".join(self.open))
        if self.throttled:
            parts.append("throttled: " + ", ".join(self.throttled))
        if self.busy:
            parts.append("at capacity: " + ", ".join(name for name, _ in self.busy))
        detail = "; ".join(parts) or "no try was possible"
        names = ", ".join(r.name for r in routes)
        if self.busy and not self.errors:  # nobody failed: there was no room; the caller may come back
            wait = min(after for _, after in self.busy)
            return GatewayError(f"no capacity on [{names}] (overloaded): {detail}", reason="overloaded",
                                retry_after=wait)
        if self.errors and all(e.kind in CLIENT_ERRORS for e in self.errors):  # the request is wrong everywhere
            reason = "context_length_exceeded" if any(e.kind == "context_length_exceeded" for e in self.errors) \
                else "invalid_request"
        elif request.remaining() <= DEADLINE_SLACK:
            reason = "deadline"
        elif self.errors and all(e.kind == "invalid_output" for e in self.errors):
            reason = "invalid_output"
        else:
            reason = "unavailable"
        return GatewayError(f"no answer from [{names}] ({reason}): {detail}", reason=reason, errors=self.errors)


async def run_attempts(
    route: Route,
    request: ChatRequest,
    call: Call,
    op: Op,
    *,
    retry: RetrySettings,
    emit: Emitter,
    deferred: list[tuple[Route, int]] | None,
    first: int = 0,
    streaming: bool = False,
) -> tuple[Any, float] | None:
    """Try ``route`` up to ``1 + max_retries`` times (from try number ``first``).

    ``request`` is already adapted to this provider. With ``deferred`` given
    (the first pass over the candidates), a provider that is throttled (own
    buckets, a 429, its ``Retry-After``) or timed out is put there instead of
    being waited on or retried at once; the router comes back to it after
    the others. Unless
    ``streaming``, success is recorded on the breaker here; a stream's
    caller records it when the stream ends.
    """
    cfg = route.config
    breaker, limiter = route.breaker, route.limiter
    est = estimate_tokens(request)
    for attempt in range(first, cfg.max_retries + 1):
        if route.is_open:
            call.open.append(route.name)
            return None
        wait = limiter.wait_time(est)
        if wait > 0:
            if request.lane == API and not call.errors and deferred is None:  # /v1 never waits on our bucket:
                call.busy.append((route.name, wait))  # an immediate 429 with Retry-After instead
                return None
            if deferred is not None:
                deferred.append((route, attempt))
                return None
            if wait >= request.remaining() - DEADLINE_SLACK:
                call.throttled.append(route.name)
                return None
            await asyncio.sleep(wait)
        remaining = request.remaining()
        if remaining <= DEADLINE_SLACK:
            return None
        if not breaker.allow():  # half-open and its one probe is already out
            call.open.append(route.name)
            return None
        limiter.try_acquire(est)
        call.attempts += 1
        started = time.monotonic()
        try:
            value = await op(route, request, min(cfg.timeouts.total, remaining))
        except ProviderError as e:
            error = e
        except asyncio.CancelledError:
            breaker.release()
            raise
        except Exception as e:  # noqa: BLE001 - an adapter bug is that provider's failure, not the caller's
            error = ProviderError(f"{route.name}: adapter error: {e!r}", provider=route.name, kind="internal")
        else:
            if not streaming:
                breaker.record_success()
                route.latency.record((time.monotonic() - started) * 1000.0)
            return value, started
        call.failed(route, error, request, emit)
        if error.kind == "invalid_output":  # the provider answered; its answer was unusable
            breaker.record_success()
            return None
        if error.kind in CLIENT_ERRORS:  # the request is wrong, not the provider: not a failure (a probe goes back)
            breaker.release()
            return None
        breaker.record_failure(error.kind)
        if error.retry_after is not None:
            limiter.pause(error.retry_after)
        if not error.retryable or attempt >= cfg.max_retries:
            return None
        if deferred is not None and (error.retry_after is not None or error.kind in SLOW_FAILURES):
            deferred.append((route, attempt + 1))  # throttled or slow: the other candidates first
            return None
        delay = backoff(attempt, error, retry)
        if delay >= request.remaining() - DEADLINE_SLACK:
            return None  # waiting would pass the deadline: fail over instead
        if delay > 0:
            await asyncio.sleep(delay)
    return None
