"""The gateway's request and response types, shared by the router, providers and features.

Every request carries, from day one, the three facts that policy needs:
``feature`` (who asks), ``data_class`` (what kind of data is inside) and
``deadline`` (when the answer stops being useful). Part 2 of the gateway
(residency, redaction, audit) reads them; providers never decide on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Literal, Mapping, Protocol, runtime_checkable

# Data classes known to the core. Operators may add their own (policy config);
# these three have fixed meaning in code.
PUBLIC = "public"
CUSTOMER_PERSONAL = "customer_personal"
HR_PERSONAL = "hr_personal"

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str
    images: tuple[str, ...] = ()  # image URLs (``data:`` or https) for vision-capable providers only


@dataclass(slots=True)
class ChatRequest:
    """One LLM call as a feature asks for it.

    ``deadline`` is an absolute ``time.monotonic()`` value: retries, backoff and
    failover never run past it. ``record`` holds the personal fields of the
    record the request is about (names, emails, addresses); redaction builds its
    deny-list from them and nothing else ever reads them (providers never send it).
    """

    messages: list[Message]
    feature: str
    data_class: str = PUBLIC
    deadline: float = field(default_factory=lambda: time.monotonic() + 60.0)
    max_tokens: int = 256
    temperature: float = 0.0
    json_schema: Mapping[str, Any] | None = None
    json_mode: bool = False
    model: str | None = None
    stop: list[str] | None = None
    record: Mapping[str, str] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    providers: tuple[str, ...] | None = None  # only these providers (by name) may answer; None: any allowed

    @classmethod
    def simple(
        cls, prompt: str, *, feature: str, system: str | None = None, timeout: float = 60.0, **kw: Any
    ) -> "ChatRequest":
        msgs = ([Message("system", system)] if system else []) + [Message("user", prompt)]
        return cls(messages=msgs, feature=feature, deadline=time.monotonic() + timeout, **kw)

    def remaining(self) -> float:
        """Seconds left before the deadline (may be negative)."""
        return self.deadline - time.monotonic()


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(slots=True)
class Completion:
    """What a provider returns for a non-streaming call."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str = "stop"


@dataclass(slots=True)
class StreamChunk:
    """One piece of a streamed answer. The last chunk has ``finish_reason`` set."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None


@dataclass(slots=True)
class ChatResult:
    """What the gateway hands back to a feature."""

    text: str
    provider: str
    model: str
    model_version: str
    jurisdiction: str
    usage: Usage
    latency_ms: float
    cached: bool = False
    parsed: Any = None  # the validated JSON object when a schema or json_mode was asked for
    attempts: int = 1


class ProviderError(Exception):
    """A provider call failed. ``retryable`` says whether another try may help."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        kind: str = "error",
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.kind = kind  # "timeout", "rate_limited", "server", "auth", "bad_response", "connect", ...


class GatewayError(Exception):
    """No provider could answer. Features catch this and use their rule-based fallback."""

    def __init__(self, message: str, *, reason: str = "unavailable", errors: list[ProviderError] | None = None):
        super().__init__(message)
        self.reason = reason  # "unavailable", "deadline", "policy", "degraded", "redaction", "invalid_output"
        self.errors = errors or []


@runtime_checkable
class Provider(Protocol):
    """An adapter to one LLM runtime. Built from a ``ProviderConfig`` by the registry.

    ``complete`` and ``stream`` must respect ``timeout`` (seconds, already
    clipped to the request's deadline by the router) and raise ``ProviderError``
    for every failure, with ``retryable`` set truthfully.
    """

    name: str

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion: ...

    def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamChunk]: ...

    async def health(self) -> bool: ...

    async def aclose(self) -> None: ...
