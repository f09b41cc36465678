"""What one provider is sent for a call, and how its answer comes back.

An ``Outbound`` is the request in the form one provider may receive it:
``raw`` (as the feature wrote it) or ``redacted`` (personal data replaced by
placeholders, which are put back into the answer). The router builds one
per form per call, so a local provider gets the raw text and a
redacted-only one the redacted text, within the same call.

The provider operations (``complete_plain``, ``complete_structured``,
``open_stream``) take the ``Outbound`` first and return the answer with its
placeholders restored, plus the sha256 of the text the provider returned.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import Any, AsyncIterator, Mapping, Protocol

from .attempts import Call
from .events import Emitter
from .ratelimit import estimate_tokens
from .route import Route
from .structured import parse_output
from .tools import check_calls
from .types import ChatRequest, Completion, ProviderError, StreamChunk, ToolCall, Usage

log = logging.getLogger("sovereign.gateway")

RAW = "raw"
REDACTED = "redacted"


class Restorer(Protocol):
    """Puts the values behind placeholders back (``sovereign.privacy.Placeholders``)."""

    def restore(self, text: str) -> str: ...

    def restore_json_text(self, text: str) -> str: ...

    def restore_value(self, value: Any) -> Any: ...

    def stream(self) -> Any: ...  # an object with feed(text) -> str and flush() -> str


def digest_messages(request: ChatRequest) -> str:
    """sha256 over the messages as sent: ``role``, NUL, ``content``, RS, for each message."""
    h = hashlib.sha256()
    for m in request.messages:
        h.update(m.role.encode())
        h.update(b"\x00")
        h.update(m.content.encode("utf-8", "surrogatepass"))
        for t in m.tool_calls:  # tool calls and results count as sent text too (absent: the old digest)
            h.update(b"\x1f" + t.id.encode() + b"\x00" + t.name.encode() + b"\x00")
            h.update(t.arguments.encode("utf-8", "surrogatepass"))
        if m.tool_call_id:
            h.update(b"\x1d" + m.tool_call_id.encode())
        for url in m.images:
            h.update(b"\x1c" + url.encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()


def redactable_texts(request: ChatRequest) -> list[str]:
    """What redaction covers: every message's content (tool results included), then every tool call's arguments.

    A request with images cannot be redacted (raises ``ValueError``): nothing is sent in redacted form then."""
    if any(m.images for m in request.messages):
        raise ValueError("images cannot be redacted")
    return [m.content for m in request.messages] + [t.arguments for m in request.messages for t in m.tool_calls]


def restore_tool_calls(calls: list[ToolCall], restorer: Restorer | None) -> list[ToolCall]:
    if restorer is None or not calls:
        return calls
    return [replace(t, arguments=restorer.restore_json_text(t.arguments)) for t in calls]


def digest_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Outbound:
    __slots__ = ("request", "form", "redactions", "restorer", "_sha256")

    def __init__(
        self, request: ChatRequest, form: str = RAW, *, redactions: Mapping[str, int] | None = None,
        restorer: Restorer | None = None,
    ) -> None:
        self.request = request
        self.form = form
        self.redactions: Mapping[str, int] = redactions or {}
        self.restorer = restorer
        self._sha256: str | None = None

    @classmethod
    def redacted(cls, request: ChatRequest, texts: list[str], counts: Mapping[str, int], restorer: Restorer) -> "Outbound":
        """``request`` with its texts (``redactable_texts`` order) replaced by ``texts`` (and no record attached)."""
        it = iter(texts)
        messages = [replace(m, content=next(it)) for m in request.messages]
        messages = [
            replace(m, tool_calls=tuple(replace(t, arguments=next(it)) for t in m.tool_calls)) if m.tool_calls else m
            for m in messages
        ]
        if next(it, None) is not None:
            raise ValueError("more redacted texts than the request holds")
        return cls(replace(request, messages=messages, record=None), REDACTED, redactions=counts, restorer=restorer)

    @property
    def request_sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = digest_messages(self.request)
        return self._sha256


Shaped = dict[str, "Outbound | None"]  # per call: the request in each form made so far (None: could not be made)


class Shaper(Protocol):  # ``policy.Shaping`` (not imported here: policy imports this module)
    def form(self, request: ChatRequest, provider: Any) -> str: ...

    async def shape(self, request: ChatRequest, form: str) -> Outbound: ...


async def shape_for(
    shaping: Shaper | None, route: Route, request: ChatRequest, call: Call, shaped: Shaped, emit: Emitter
) -> Outbound | None:
    """The request in the form ``route`` may receive, made once per form per call; None drops the route."""
    form = RAW if shaping is None else shaping.form(request, route.config)
    if form in shaped:
        out = shaped[form]
    elif form == RAW:
        out = shaped[form] = Outbound(request)
    else:
        try:
            out = shaped[form] = await shaping.shape(request, form)  # type: ignore[union-attr]
        except Exception as e:  # noqa: BLE001 - whatever went wrong, nothing is sent in this form
            log.warning("gateway: no %s form of a %s request: %r", form, request.data_class, e)
            out = shaped[form] = None
    if out is None:
        why = f"{route.name}: the request could not be made {form}"
        call.failed(route, ProviderError(why, provider=route.name, kind="redaction"), request, emit)
    return out


async def complete_plain(out: Outbound, route: Route, request: ChatRequest, timeout: float) -> tuple[Completion, None, str]:
    completion = await route.provider.complete(request, timeout=timeout)
    return _plain(out, route, request, completion)


def _plain(out: Outbound, route: Route, request: ChatRequest, completion: Completion) -> tuple[Completion, None, str]:
    _settle(route, request, completion.usage)
    check_calls(completion.tool_calls, request, route.name)
    received = digest_text(completion.text + _calls_text(completion.tool_calls))
    if out.restorer is not None:
        completion = replace(completion, text=out.restorer.restore(completion.text),
                             tool_calls=restore_tool_calls(completion.tool_calls, out.restorer))
    return completion, None, received


def _calls_text(calls: list[ToolCall]) -> str:
    """Tool calls as hashed in ``response_sha256`` (nothing when there are none: the old digest)."""
    return "".join(f"\x1f{t.id}\x00{t.name}\x00{t.arguments}" for t in calls)


async def complete_structured(
    out: Outbound, route: Route, request: ChatRequest, timeout: float
) -> tuple[Completion, Any, str]:
    completion = await route.provider.complete(request, timeout=timeout)
    if completion.tool_calls:  # the model asked for a tool first: there is no answer to parse yet
        return _plain(out, route, request, completion)
    _settle(route, request, completion.usage)
    received = digest_text(completion.text)
    parsed = parse_output(completion.text, request, provider=route.name)
    if out.restorer is not None:  # parse first: a restored value could contain quotes
        completion = replace(completion, text=out.restorer.restore_json_text(completion.text))
        parsed = out.restorer.restore_value(parsed)
    return completion, parsed, received


def _settle(route: Route, request: ChatRequest, usage: Usage) -> None:
    used = usage.input_tokens + usage.output_tokens
    if used:
        route.limiter.settle(estimate_tokens(request), used)


class Received:
    """The text of a stream as the provider sent it (for its hash), whatever was shown."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def sha256(self) -> str:
        return digest_text("".join(self.parts))


async def open_stream(
    out: Outbound, route: Route, request: ChatRequest, timeout: float
) -> tuple[AsyncIterator[StreamChunk], StreamChunk, Received]:
    """Open the provider's stream and wait for its first chunk (a failure here fails over)."""
    received = Received()
    chunks = _restoring(route.provider.stream(request, timeout=timeout), out.restorer, received, request, route.name)
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        raise ProviderError(f"{route.name}: empty stream", provider=route.name, retryable=True, kind="reset") from None
    except BaseException:
        await chunks.aclose()
        raise
    return chunks, first, received


async def _restoring(
    chunks: AsyncIterator[StreamChunk], restorer: Restorer | None, received: Received, request: ChatRequest,
    provider: str,
) -> AsyncIterator[StreamChunk]:
    """The provider's chunks, placeholders restored; a token split across chunks is held until whole.
    Tool calls are checked against the offered tools (before restoring, as the provider wrote them)."""
    pending = restorer.stream() if restorer is not None else None
    try:
        async for chunk in chunks:
            check_calls(chunk.tool_calls, request, provider)
            if chunk.text:
                received.parts.append(chunk.text)
            if chunk.tool_calls:
                received.parts.append(_calls_text(chunk.tool_calls))
            if pending is None:
                yield chunk
                continue
            text = pending.feed(chunk.text) if chunk.text else ""
            if chunk.finish_reason is not None or chunk.tool_calls:
                text += pending.flush()
            calls = restore_tool_calls(chunk.tool_calls, restorer)
            if text or calls or chunk.finish_reason is not None or chunk.usage is not None:
                yield replace(chunk, text=text, tool_calls=calls)
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
