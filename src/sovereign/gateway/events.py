"""The gateway's events port: small immutable facts handed to one sync callback.

The service wires audit log and metrics to it. The callback runs inline on
the hot path, so it must not block or do I/O (queue the event and return).
A callback that raises is logged and otherwise ignored: events never break a call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Union

log = logging.getLogger("sovereign.gateway")


@dataclass(frozen=True, slots=True)
class CallFinished:
    """One ``Gateway.complete`` or ``Gateway.stream`` call, whatever its outcome.

    ``outcome`` is ``"ok"`` or the ``GatewayError.reason`` it ended with.
    ``provider``/``model`` are empty when no provider answered.
    ``request_sha256`` hashes the messages as the provider was sent them
    (after redaction; ``outbound.digest_messages``), ``response_sha256`` the
    answer text as the provider returned it (before placeholders are
    restored); both are empty when nothing was sent or received.
    ``redactions`` counts what was redacted, by kind; ``flags`` names what
    shaped the call: ``trial`` (degraded-mode trial), ``force_provider``,
    ``force_degraded``, ``pin_model``. ``tools_offered``/``tools_called`` name the
    functions the request offered and the answer asked for (names only).
    """

    feature: str
    data_class: str
    outcome: str
    provider: str
    jurisdiction: str
    model: str
    model_version: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cached: bool
    attempts: int
    stream: bool = False
    request_sha256: str = ""
    response_sha256: str = ""
    redactions: Mapping[str, int] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    tools_offered: tuple[str, ...] = ()  # tool names only: arguments and results are never in an event
    tools_called: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttemptFailed:
    """One try on one provider failed (the call may still succeed elsewhere)."""

    feature: str
    provider: str
    kind: str
    status: int | None
    retryable: bool


@dataclass(frozen=True, slots=True)
class BreakerChanged:
    provider: str
    previous: str
    state: str
    reason: str


@dataclass(frozen=True, slots=True)
class DegradedEntered:
    feature: str
    reason: str
    availability: float | None


@dataclass(frozen=True, slots=True)
class DegradedLeft:
    feature: str
    reason: str


@dataclass(frozen=True, slots=True)
class OverrideChanged:
    """An operator changed a runtime override (``Gateway.overrides``)."""

    name: str  # "force_degraded", "force_provider", "pin_model"
    target: str  # feature, "*" or provider name
    value: Any
    previous: Any


Event = Union[CallFinished, AttemptFailed, BreakerChanged, DegradedEntered, DegradedLeft, OverrideChanged]
EventSink = Callable[[Event], None]


def _discard(event: Event) -> None:
    return None


class Emitter:
    """Calls the sink, shielding the caller from a sink that raises."""

    __slots__ = ("_sink",)

    def __init__(self, sink: EventSink | None) -> None:
        self._sink = sink if sink is not None else _discard  # (a sink may be falsy, e.g. empty)

    def __call__(self, event: Event) -> None:
        try:
            self._sink(event)
        except Exception:  # noqa: BLE001 - a broken sink must never break an LLM call
            log.exception("gateway event sink failed on %s", type(event).__name__)
