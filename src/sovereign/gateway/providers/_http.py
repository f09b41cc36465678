"""What the HTTP adapters share: one keep-alive client per provider, error mapping, SSE reading.

Every failure leaves here as a ``ProviderError`` whose ``kind`` says what
happened (timeout, rate_limited, server, auth, bad_request, bad_response,
connect, reset) and whose ``retryable`` says whether another try may help.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import time
from typing import Any, AsyncIterator, Mapping

import httpx

from ..config import ProviderConfig
from ..types import ProviderError

JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}


def resolve_api_key(config: ProviderConfig) -> str | None:
    if config.api_key:
        return config.api_key
    if config.api_key_env:
        return os.environ.get(config.api_key_env) or None
    return None


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _detail(body: bytes) -> str:
    text = body[:300].decode("utf-8", "replace").strip()
    return text.replace("\n", " ")


def error_from_status(provider: str, status: int, headers: Mapping[str, str], body: bytes) -> ProviderError:
    detail = _detail(body)
    retry_after = parse_retry_after(headers)
    if status == 429:
        kind, retryable = "rate_limited", True
    elif status in (401, 403):
        kind, retryable = "auth", False
    elif status == 408:
        kind, retryable = "timeout", True
    elif status >= 500:  # 500, 502, 503, 504, and Anthropic's 529 "overloaded"
        kind, retryable = "server", True
    elif status in (400, 413, 422):  # the request itself is wrong: the caller's error (types.CLIENT_ERRORS)
        kind, retryable = ("context_length_exceeded" if is_context_overflow(detail) else "bad_request"), False
    else:  # 404 model not found, 405, ...: how we call this provider is wrong, which is our fault
        kind, retryable = "rejected", False
    return ProviderError(
        f"{provider}: HTTP {status}: {detail}",
        provider=provider,
        status=status,
        retryable=retryable,
        retry_after=retry_after,
        kind=kind,
    )


_CONTEXT_HINTS = ("context_length_exceeded", "context length", "context size", "context window", "prompt is too long",
                  "exceed_context_size", "too many tokens", "maximum context")


def is_context_overflow(text: str) -> bool:
    """Does a provider's 4xx text say the prompt does not fit the model's context?"""
    low = text.lower()
    return any(h in low for h in _CONTEXT_HINTS)


def error_from_exception(provider: str, exc: BaseException, timeout: float) -> ProviderError:
    if isinstance(exc, (TimeoutError, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        return ProviderError(
            f"{provider}: no answer within {timeout:.3g}s", provider=provider, retryable=True, kind="timeout"
        )
    if isinstance(exc, (httpx.ConnectTimeout, httpx.ConnectError)):
        return ProviderError(f"{provider}: cannot connect: {exc!r}", provider=provider, retryable=True, kind="connect")
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.CloseError)):
        return ProviderError(f"{provider}: connection broken: {exc!r}", provider=provider, retryable=True, kind="reset")
    return ProviderError(f"{provider}: transport error: {exc!r}", provider=provider, retryable=True, kind="connect")


def bad_response(provider: str, why: str) -> ProviderError:
    return ProviderError(
        f"{provider}: unusable response: {why}", provider=provider, retryable=False, kind="bad_response"
    )


def truncated(provider: str) -> ProviderError:
    """The stream stopped before its end marker: never pass that off as a complete answer."""
    return ProviderError(
        f"{provider}: stream ended before the answer was complete", provider=provider, retryable=True, kind="reset"
    )


class HTTPProvider:
    """Base of the HTTP adapters: owns the client, posts JSON, opens SSE streams."""

    supports_structured_output = False

    def __init__(self, config: ProviderConfig, *, base_url: str, headers: Mapping[str, str]) -> None:
        self.name = config.name
        self.config = config
        t = config.timeouts
        self._connect = t.connect
        self._first_token = t.first_token
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={**JSON_HEADERS, **headers},
            timeout=httpx.Timeout(t.total, connect=t.connect),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30.0),
        )

    def _timeout(self, seconds: float) -> httpx.Timeout:
        return httpx.Timeout(seconds, connect=min(self._connect, seconds))

    async def post_json(self, path: str, body: dict[str, Any], timeout: float) -> Any:
        """POST ``body``; the decoded JSON of a 200 answer, else a ``ProviderError``."""
        if timeout <= 0:
            raise error_from_exception(self.name, TimeoutError(), timeout)
        try:
            async with asyncio.timeout(timeout):
                resp = await self._client.post(path, content=json.dumps(body).encode(), timeout=self._timeout(timeout))
        except (TimeoutError, httpx.HTTPError) as e:
            raise error_from_exception(self.name, e, timeout) from None
        if resp.status_code != 200:
            raise error_from_status(self.name, resp.status_code, resp.headers, resp.content)
        try:
            return json.loads(resp.content)
        except ValueError:
            raise bad_response(self.name, f"body is not JSON: {_detail(resp.content)!r}") from None

    async def sse(self, path: str, body: dict[str, Any], timeout: float) -> AsyncIterator["SSEEvent"]:
        """POST ``body`` and yield its server-sent events.

        Until ``first()`` is called on the iterator's ``SSEEvent.stream``, each
        read must arrive within the first-token timeout; after it, within the
        overall ``timeout``. Closing the iterator closes the response.
        """
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + max(0.0, timeout)
        first_end = min(end, start + self._first_token)
        request = self._client.build_request(
            "POST", path, content=json.dumps(body).encode(), timeout=self._timeout(max(timeout, 1e-3))
        )
        try:
            async with asyncio.timeout_at(first_end):
                resp = await self._client.send(request, stream=True)
        except (TimeoutError, httpx.HTTPError) as e:
            raise error_from_exception(self.name, e, first_end - start) from None
        try:
            if resp.status_code != 200:
                try:
                    async with asyncio.timeout_at(end):
                        raw = await resp.aread()
                except (TimeoutError, httpx.HTTPError):
                    raw = b""
                raise error_from_status(self.name, resp.status_code, resp.headers, raw)
            state = SSEState(first_end, end)
            lines = resp.aiter_lines()
            event, data = "", []
            while True:
                try:
                    async with asyncio.timeout_at(state.deadline):
                        line = await anext(lines, None)
                except (TimeoutError, httpx.HTTPError) as e:
                    raise error_from_exception(self.name, e, state.deadline - start) from None
                if line is None:
                    if data:
                        yield SSEEvent(event or "message", "\n".join(data), state)
                    return
                if not line:
                    if data:
                        yield SSEEvent(event or "message", "\n".join(data), state)
                    event, data = "", []
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
                elif line.startswith("event:"):
                    event = line[6:].strip()
        finally:
            await resp.aclose()

    async def get_ok(self, path: str, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                resp = await self._client.get(path, timeout=self._timeout(timeout))
        except (TimeoutError, httpx.HTTPError):
            return False
        return resp.status_code == 200

    async def aclose(self) -> None:
        await self._client.aclose()


class SSEState:
    __slots__ = ("deadline", "_end")

    def __init__(self, first_deadline: float, end: float) -> None:
        self.deadline = first_deadline
        self._end = end

    def first(self) -> None:
        """The first token arrived: later reads only have to beat the overall deadline."""
        self.deadline = self._end


class SSEEvent:
    __slots__ = ("event", "data", "stream")

    def __init__(self, event: str, data: str, stream: SSEState) -> None:
        self.event = event
        self.data = data
        self.stream = stream

    def json(self) -> Any:
        return json.loads(self.data)
