"""The gateway: one call in, the best allowed provider's answer out, or a ``GatewayError`` fast.

For each request: degraded-mode admission, candidates from the
``CandidatePolicy`` (``hr_personal`` never leaves local providers), the
response cache, then the candidates in priority order. On each provider a
breaker guards every try and our own token buckets throttle before the
provider does. Quick retryable failures (5xx, resets) are retried in place
with full jitter; throttled (429, ``Retry-After``, own buckets) and timed-out
providers are passed over for the next candidate and retried only after the
others failed, waiting out ``Retry-After`` only when it fits the deadline.
Anything else fails over. Structured output is validated before it counts.
A ``Shaping`` policy decides per candidate what it is sent (raw or redacted,
``outbound``); a candidate whose form cannot be made is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence

from .admission import Bulkhead, KeyLimits, Overloaded
from .attempts import DEADLINE_SLACK, Call, Op, run_attempts
from .availability import Admission, Availability
from .breaker import CircuitBreaker
from .cache import ResponseCache, cache_key
from .config import GatewaySettings, ProviderConfig
from .events import BreakerChanged, CallFinished, DegradedEntered, DegradedLeft, Emitter, Event, EventSink
from .outbound import Outbound, Shaped, complete_plain, complete_structured, digest_messages, digest_text, open_stream, shape_for
from .overrides import Overrides
from .policy import CandidatePolicy, DataClassPolicy, Shaping, local_only_guard
from .probes import probe_loop
from .ratelimit import RateLimiter
from .registry import build_provider
from .route import Route
from .structured import schema_problem, wants_json, with_instructions
from .tools import capable, has_images, tool_names, uses_tools
from .types import CLIENT_REASONS, ChatRequest, ChatResult, GatewayError, Provider, ProviderError, StreamChunk, Usage

log = logging.getLogger("sovereign.gateway")


class Gateway:
    """The LLM gateway. Build once per process; share it between features.

    ``providers`` are configs (built with ``build``, default the registry);
    ``policy`` chooses candidates (default: by data class); ``cache`` is the
    response cache port; ``on_event`` receives every event, synchronously.
    """

    def __init__(
        self,
        providers: Sequence[ProviderConfig],
        *,
        settings: GatewaySettings | None = None,
        policy: CandidatePolicy | None = None,
        cache: ResponseCache | None = None,
        on_event: EventSink | None = None,
        models_dir: Path | None = None,
        build: Callable[[ProviderConfig], Provider] | None = None,
    ) -> None:
        self.settings = settings or GatewaySettings()
        self._emit = Emitter(on_event)
        build = build or partial(build_provider, models_dir=models_dir)
        configs = sorted((c for c in providers if c.enabled), key=lambda c: c.priority)
        names = [c.name for c in configs]
        if len(set(names)) != len(names):
            raise ValueError(f"provider names must be unique: {names}")
        self._routes: dict[str, Route] = {}
        adm = self.settings.admission
        for c in configs:
            breaker = CircuitBreaker(self.settings.breaker, on_change=partial(self._breaker_changed, c.name))
            limit = c.max_concurrency or (adm.embedded_concurrency if c.kind == "embedded" else adm.max_concurrency)
            queue = adm.max_queue if c.max_queue is None else c.max_queue
            route = Route(c, build(c), breaker, RateLimiter(c.rate_limits))
            route.bulkhead = Bulkhead(c.name, limit, queue, adm.reserved_share, partial(_p50_s, route))
            self._routes[c.name] = route
        self._keys = KeyLimits(adm.per_key_concurrency)
        self._configs = configs
        self._policy = policy or DataClassPolicy()
        self._shaping = self._policy if isinstance(self._policy, Shaping) else None
        self._cache = cache
        self._cache_classes = frozenset(self.settings.cache.data_classes)
        self.availability = Availability(self.settings.degraded, on_switch=self._degraded_switched)
        self.overrides = Overrides(self._emit, frozenset(names))
        self._probes: asyncio.Task[None] | None = None

    # --- the two calls ------------------------------------------------------

    async def complete(self, request: ChatRequest) -> ChatResult:
        """The answer, or ``GatewayError`` (reason: degraded, policy, unavailable, deadline, invalid_output,
        or the caller's own: invalid_request, context_length_exceeded, overloaded)."""
        leave = self._enter_key(request)
        try:
            return await self._call(request)
        finally:
            leave()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Chunks of the answer; the last has ``finish_reason`` set.

        A provider failing before its first token is failed over transparently.
        After the first token a failure raises ``GatewayError(reason="interrupted")``:
        the stream never ends as a silently truncated success.
        """
        leave = self._enter_key(request)
        inner = self._stream(request)
        try:
            async for chunk in inner:
                yield chunk
        finally:
            await inner.aclose()
            leave()

    async def _call(self, request: ChatRequest) -> ChatResult:
        start = time.monotonic()
        _check(request)
        trial = self._admit(request, start, stream=False)
        shaped: Shaped = {}
        try:
            result, received = await self._complete(request, start, shaped)
        except GatewayError as e:
            self._finish(request, start, e.reason, None, e.errors, trial=trial, attempts=len(e.errors), shaped=shaped,
                         count=e.reason not in CLIENT_REASONS)
            raise
        except BaseException:
            if trial:
                self.availability.cancel_trial(request.feature)
            raise
        self._finish(request, start, "ok", result, (), trial=trial, shaped=shaped, received=received)
        return result

    async def _stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        start = time.monotonic()
        _check(request)
        trial = self._admit(request, start, stream=True)
        call = Call()
        shaped: Shaped = {}
        try:
            routes = self._routes_for(request)
            opened = await self._first_success(routes, request, call, open_stream, shaped, streaming=True)
            if opened is None:
                raise self._failure(call, request, routes)
        except GatewayError as e:
            self._finish(
                request, start, e.reason, None, e.errors, trial=trial, stream=True, attempts=call.attempts, shaped=shaped,
                count=e.reason not in CLIENT_REASONS,
            )
            raise
        except BaseException:
            if trial:
                self.availability.cancel_trial(request.feature)
            raise
        route, (chunks, chunk, received), t0, _ = opened
        parts: list[str] = []
        calls: list[Any] = []
        usage = Usage()
        ended = False
        finish = "stop"
        try:
            while True:
                if chunk.text:
                    parts.append(chunk.text)
                calls += chunk.tool_calls
                if chunk.usage is not None:
                    usage = chunk.usage
                yield chunk
                if chunk.finish_reason is not None:
                    ended, finish = True, chunk.finish_reason
                    break
                chunk = await anext(chunks, None)
                if chunk is None:
                    raise ProviderError(f"{route.name}: stream ended early", provider=route.name, kind="reset")
        except ProviderError as e:
            ended = True
            route.breaker.record_failure(e.kind)
            call.failed(route, e, request, self._emit)
            self._finish(
                request, start, "interrupted", None, call.errors, trial=trial, stream=True, attempts=call.attempts,
                shaped=shaped, received=received.sha256(),
            )
            raise GatewayError(
                f"stream from {route.name} broke after the first token: {e}", reason="interrupted", errors=call.errors
            ) from None
        finally:
            await chunks.aclose()
            if call.slot is not None:
                call.slot.release()
                call.slot = None
            if not ended:  # the consumer left early or was cancelled: nobody's failure
                route.breaker.release()
                if trial:
                    self.availability.cancel_trial(request.feature)
        route.breaker.record_success()
        route.latency.record((time.monotonic() - t0) * 1000.0)
        result = self._result(route, request, "".join(parts), usage, start, call.attempts, None, finish_reason=finish)
        result.tool_calls = calls
        self._finish(request, start, "ok", result, (), trial=trial, stream=True, shaped=shaped, received=received.sha256())

    # --- state for operators ------------------------------------------------

    def is_degraded(self, feature: str) -> bool:
        return self.overrides.degraded_reason(feature) is not None or self.availability.is_degraded(feature)

    def contended(self, request: ChatRequest) -> str | None:
        """Why a call for ``request`` would not start at once on an uncontended provider; None when it would.

        For a caller that may not wait (checkout): a provider running on this machine's CPU
        (``embedded``) is contended by any call in flight, since every generation shares the same
        cores; a remote provider only when ``request.lane`` has no free slot. Providers whose breaker is
        open are passed over; when every one is, None: the call fails at once with its own reason.
        Nothing is taken or sent.
        """
        try:
            routes = self._routes_for(request)
        except GatewayError:
            return None  # the call itself fails at once, with its own reason (policy, none configured)
        reasons = []
        for r in routes:
            if r.is_open:
                continue
            stats = r.bulkhead.stats()
            if r.config.kind == "embedded":
                if stats["in_use"] == 0 and stats["waiting"] == 0:
                    return None
                reasons.append(f"{r.name}: {stats['in_use']} call(s) running on this machine's CPU")
            elif r.bulkhead.has_room(request.lane):
                return None
            else:
                reasons.append(f"{r.name}: no free {request.lane} slot")
        return "; ".join(reasons) or None

    @property
    def providers(self) -> list[str]:
        """Provider names in priority order."""
        return list(self._routes)

    def provider(self, name: str) -> Provider:
        return self._routes[name].provider

    @property
    def configs(self) -> list[ProviderConfig]:
        """The enabled providers' configs, in priority order."""
        return list(self._configs)

    @property
    def policy(self) -> CandidatePolicy:
        return self._policy

    def candidates(self, request: ChatRequest) -> list[ProviderConfig]:
        """The providers that may answer ``request`` now (policy, overrides, ``request.providers``); may be empty."""
        try:
            return [r.config for r in self._routes_for(request)]
        except GatewayError:
            return []

    def emit(self, event: Event) -> None:
        """Hand an event to the gateway's sink (for calls made beside the router, e.g. embeddings)."""
        self._emit(event)

    def health(self) -> dict[str, dict[str, Any]]:
        """Per provider: breaker state, availability, p50/p99 latency, rate-limit headroom, model version."""
        return {name: r.health(self._version(r)) for name, r in self._routes.items()}

    def status(self) -> dict[str, Any]:
        features = self.availability.status()
        degraded = sorted(f for f, s in features.items() if s["degraded"])
        return {
            "providers": self.health(),
            "features": features,
            "degraded": degraded,
            "overrides": self.overrides.snapshot(),
            "probing": self._probes is not None and not self._probes.done(),
        }

    def start_probes(self, interval: float = 15.0) -> asyncio.Task[None]:
        """Start (once) the background health probe of every provider; it feeds breakers and trials."""
        if self._probes is None or self._probes.done():
            routes = list(self._routes.values())
            self._probes = asyncio.create_task(probe_loop(routes, interval, self.availability.arm_trials))
        return self._probes

    async def aclose(self) -> None:
        if self._probes is not None:
            self._probes.cancel()
            await asyncio.gather(self._probes, return_exceptions=True)
        await asyncio.gather(*(r.provider.aclose() for r in self._routes.values()), return_exceptions=True)

    async def __aenter__(self) -> "Gateway":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- internals ----------------------------------------------------------

    def _enter_key(self, request: ChatRequest) -> Callable[[], None]:
        """Count the call against its API key's concurrency (``metadata["api_key"]``); refuses past the bound."""
        try:
            return self._keys.enter(request.metadata.get("api_key"))
        except Overloaded as e:
            self._finish(request, time.monotonic(), "overloaded", None, (), trial=False, count=False)
            raise GatewayError(str(e), reason="overloaded", retry_after=e.retry_after) from None

    def _admit(self, request: ChatRequest, start: float, *, stream: bool) -> bool:
        """True when the call is a degraded-mode trial; raises when the feature is degraded."""
        forced = self.overrides.degraded_reason(request.feature)
        admission = Admission.REFUSED if forced is not None else self.availability.admit(request.feature)
        if admission is Admission.NORMAL:
            return False
        if admission is Admission.TRIAL:
            return True
        self._finish(request, start, "degraded", None, (), trial=False, stream=stream, count=False)
        why = forced or "availability below SLO"
        raise GatewayError(f"feature {request.feature!r} is degraded: {why}", reason="degraded")

    def _routes_for(self, request: ChatRequest) -> list[Route]:
        if not self._configs:
            raise GatewayError("no LLM provider is configured", reason="unavailable")
        allowed = local_only_guard(request, self._policy.filter(request, self._configs))
        if request.providers is not None:
            allowed = [c for c in allowed if c.name in request.providers]
        if uses_tools(request) or has_images(request):
            allowed = [c for c in allowed if capable(c, request)]
        forced = self.overrides.forced_provider
        routes = self._routes
        found = [routes[c.name] for c in allowed if c.name in routes and (forced is None or c.name == forced)]
        if not found:
            why = f" (forced provider {forced!r})" if forced else ""
            raise GatewayError(f"no provider may receive {request.data_class!r} data{why}", reason="policy")
        return found

    async def _complete(self, request: ChatRequest, start: float, shaped: Shaped) -> tuple[ChatResult, str]:
        """The result and the sha256 of the text the provider returned."""
        routes = self._routes_for(request)
        key = None
        if self._cache is not None and request.data_class in self._cache_classes and request.cache_write:
            first = next((r for r in routes if not r.is_open), routes[0])
            key = cache_key(request, self._version(first))
            hit = await self._cache_get(key) if request.cache_read else None
            if hit is not None:
                hit = replace(hit, cached=True, attempts=0, latency_ms=(time.monotonic() - start) * 1000.0)
                return hit, digest_text(hit.text)
        call = Call()
        op = complete_structured if wants_json(request) else complete_plain
        done = await self._first_success(routes, request, call, op, shaped, streaming=False)
        if done is None:
            raise self._failure(call, request, routes)
        route, (completion, parsed, received), _, _ = done
        result = self._result(
            route, request, completion.text, completion.usage, start, call.attempts, parsed, completion.model,
            finish_reason=completion.finish_reason or "stop",
        )
        result.tool_calls = completion.tool_calls
        if key is not None:
            await self._cache_put(cache_key(request, result.model_version), result)
        return result, received

    async def _first_success(
        self, routes: list[Route], request: ChatRequest, call: Call, op: Op, shaped: Shaped, *, streaming: bool
    ) -> tuple[Route, Any, float, Outbound] | None:
        """Candidates in order; providers throttled on the first pass get a second, waiting one."""
        deferred: list[tuple[Route, int]] = []
        retry, emit = self.settings.retry, self._emit
        for route, first in chain([(r, -1) for r in routes], deferred):  # deferred fills up during the first pass
            out = await shape_for(self._shaping, route, request, call, shaped, self._emit)
            if out is None:
                continue
            wait = min(self.settings.admission.queue_timeout_s, request.remaining() - DEADLINE_SLACK)
            try:
                await route.bulkhead.acquire(request.lane, wait)
            except Overloaded as e:
                call.busy.append((route.name, e.retry_after))
                continue
            got = None
            try:
                got = await run_attempts(
                    route, self._adapt(route, out.request), call, partial(op, out), retry=retry, emit=emit,
                    deferred=deferred if first < 0 else None, first=max(first, 0), streaming=streaming,
                )
            finally:
                if got is None or not streaming:
                    route.bulkhead.release()
            if got is not None:
                if streaming:
                    call.slot = route.bulkhead  # held until the stream ends
                shaped[out.form] = shaped.pop(out.form)  # the last form made is the one reported as sent
                return route, got[0], got[1], out
        return None

    def _failure(self, call: Call, request: ChatRequest, routes: Sequence[Route]) -> GatewayError:
        if call.errors and all(e.kind == "redaction" for e in call.errors):
            names = ", ".join(r.name for r in routes)
            return GatewayError(f"redaction failed: nothing was sent to [{names}]", reason="redaction", errors=call.errors)
        return call.failure(request, routes)

    def _adapt(self, route: Route, request: ChatRequest) -> ChatRequest:
        """The request as this provider gets it: pinned model, schema in the prompt if it has no native support."""
        pin = self.overrides.pin(route.name)
        if pin is not None:
            request = replace(request, model=pin.model)
        if not route.native_json and (request.json_schema is not None or request.json_mode):
            request = with_instructions(request)
        return request

    def _result(
        self, route: Route, request: ChatRequest, text: str, usage: Usage, start: float, attempts: int, parsed: Any,
        served_model: str = "", *, finish_reason: str = "stop",
    ) -> ChatResult:
        pin = self.overrides.pin(route.name)
        return ChatResult(
            text=text,
            provider=route.name,
            model=pin.model if pin is not None else (served_model or request.model or route.config.model),
            model_version=pin.version if pin is not None else route.model_version,
            jurisdiction=route.config.jurisdiction,
            usage=usage,
            latency_ms=(time.monotonic() - start) * 1000.0,
            parsed=parsed,
            attempts=attempts,
            finish_reason=finish_reason,
        )

    def _version(self, route: Route) -> str:
        pin = self.overrides.pin(route.name)
        return route.model_version if pin is None else pin.version

    def _finish(
        self,
        request: ChatRequest,
        start: float,
        outcome: str,
        result: ChatResult | None,
        errors: Sequence[ProviderError],
        *,
        trial: bool,
        stream: bool = False,
        count: bool = True,
        attempts: int = 0,
        shaped: Shaped | None = None,
        received: str = "",
    ) -> None:
        out = next((o for o in reversed((shaped or {}).values()) if o is not None), None)
        sent = out.request_sha256 if out is not None else (digest_messages(request) if result is not None else "")
        redactions = out.redactions if out is not None else {}
        if result is not None:
            u = result.usage
            event = CallFinished(
                request.feature, request.data_class, outcome, result.provider, result.jurisdiction, result.model,
                result.model_version, result.latency_ms, u.input_tokens, u.output_tokens, result.cached,
                result.attempts, stream, sent, received, redactions, self.overrides.flags(trial, result.provider),
                tool_names(request.tools), tuple(t.name for t in result.tool_calls),
            )
            count = count and not result.cached
        else:
            last = errors[-1].provider if errors else ""
            route = self._routes.get(last)
            event = CallFinished(
                request.feature, request.data_class, outcome, last, route.config.jurisdiction if route else "",
                route.config.model if route else "", self._version(route) if route else "",
                (time.monotonic() - start) * 1000.0, 0, 0, False, attempts or len(errors), stream,
                sent, received, redactions, self.overrides.flags(trial, last, request.feature if outcome == "degraded" else None),
                tool_names(request.tools),
            )
        self._emit(event)
        if count:
            self.availability.record(request.feature, outcome == "ok", trial=trial)
        elif trial:
            self.availability.cancel_trial(request.feature)

    async def _cache_get(self, key: str) -> ChatResult | None:
        try:
            return await self._cache.get(key)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - a broken cache is a miss, never a failed call
            log.exception("response cache get failed")
            return None

    async def _cache_put(self, key: str, result: ChatResult) -> None:
        try:
            await self._cache.put(key, result, self.settings.cache.ttl_s)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            log.exception("response cache put failed")

    def _breaker_changed(self, provider: str, previous: str, state: str, reason: str) -> None:
        log.warning("gateway breaker %s: %s -> %s (%s)", provider, previous, state, reason)
        self._emit(BreakerChanged(provider, previous, state, reason))

    def _degraded_switched(self, feature: str, degraded: bool, reason: str, ratio: float | None) -> None:
        if degraded:
            log.warning("gateway feature %s degraded: %s", feature, reason)
            self._emit(DegradedEntered(feature, reason, ratio))
        else:
            log.warning("gateway feature %s recovered: %s", feature, reason)
            self._emit(DegradedLeft(feature, reason))


def _check(request: ChatRequest) -> None:
    """Refuse a request that is wrong whatever the provider (an invalid JSON schema): the caller's error."""
    if request.json_schema is not None:
        problem = schema_problem(request.json_schema)
        if problem is not None:
            raise GatewayError(problem, reason="invalid_request")


def _p50_s(route: Route) -> float | None:
    p50 = route.latency.percentile(50)
    return None if p50 is None else p50 / 1000.0
