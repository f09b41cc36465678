"""The embedded provider: a verified local GGUF model, run in-process by llama.cpp.

The one provider that needs no network and no account, so the store keeps an
AI path when every cloud is down. It adapts ``ChatRequest`` to the
``LlamaRuntime`` (one worker thread, fair FIFO queue, deadline-aware) and maps
every failure to a ``ProviderError``.

Configuration (``[[providers]]`` with ``kind = "embedded"``): ``model`` or
``model_path`` is a catalogue id or a GGUF path; ``model_version = "sha256:<hex>"``
pins a user-supplied file (otherwise it is pinned on first use); ``n_ctx`` and
``n_threads`` (default: every core) tune the runtime. Tools are served by
llama.cpp's jinja chat template (``use_jinja``, on by default), which parses
the model's tool-call syntax into OpenAI ``tool_calls``.

A request whose ``model`` names another catalogue model or GGUF file (a model
release pinned through the fleet-wide overrides, or a rollback) switches the
provider to it: the new model loads on its first request and the old runtime is
closed (what it was running fails and is retried by the router). Names that are
no model (``local``, an OpenAI alias) are served by the current model.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any, AsyncIterator

from sovereign.gateway.config import ProviderConfig
from sovereign.gateway.providers._http import is_context_overflow
from sovereign.gateway.providers.openai_shape import calls_in_text, message_dict, parse_tool_calls, sampling_fields
from sovereign.gateway.types import ChatRequest, Completion, Message, ProviderError, StreamChunk, Usage
from sovereign.models.catalogue import LocalModel, ModelSpec, UnknownModel, resolve
from sovereign.models.errors import ModelError, ModelNotInstalled
from sovereign.models.install import ensure
from sovereign.models.packages import locate_parts
from sovereign.models.runtime import (
    Cancelled,
    DeadlineExpired,
    Generation,
    GenerationFailed,
    GenerationResult,
    LlamaRuntime,
    LoadFailed,
    RuntimeClosed,
)

__all__ = ["EmbeddedProvider"]

_DONE = object()
_ANSWER = "Answer the question above from these results, in plain text."


def _offered(request: ChatRequest) -> list[dict[str, Any]] | None:
    """The tools the model is really offered (none after ``tool_choice: "none"`` or once results are in)."""
    if request.tool_choice == "none" or (request.messages and request.messages[-1].role == "tool"):
        return None
    return request.tools


def spell_out_tool_results(request: ChatRequest) -> ChatRequest:
    """A conversation that ends with tool results, as the small local model answers it best.

    Given the tool exchange in its chat template's own syntax, a 0.5B model
    tends to repeat the call instead of answering; given the calls and their
    results as plain text, and no tools, it answers from them. So the
    embedded model answers from tool results; it does not chain a second call."""
    if not request.messages or request.messages[-1].role != "tool":
        return request
    calls = {t.id: t for m in request.messages for t in m.tool_calls}
    out: list[Message] = []
    lines: list[str] = []
    for m in request.messages:
        if m.role == "tool":
            t = calls.get(m.tool_call_id or "")
            what = f"The tool {t.name} was called with {t.arguments}" if t else "A tool was called"
            lines.append(f"{what} and returned: {m.content}")
            continue
        if lines:
            out.append(Message("user", "\n".join([*lines, _ANSWER])))
            lines = []
        if m.tool_calls:
            if m.content:
                out.append(Message("assistant", m.content))
            continue
        out.append(m)
    out.append(Message("user", "\n".join([*lines, _ANSWER])))
    return replace(request, messages=out, tools=None, tool_choice=None, parallel_tool_calls=None)


def _pin(model_version: str) -> str | None:
    return model_version.removeprefix("sha256:").lower() if model_version.startswith("sha256:") else None


def _watch(cf: "Future[GenerationResult]") -> "asyncio.Future[GenerationResult]":
    """An asyncio view of the worker's future. Cancelling the view leaves the job alone
    (the caller decides with ``Generation.cancel``), and a late result is simply dropped."""
    loop = asyncio.get_running_loop()
    view: asyncio.Future[GenerationResult] = loop.create_future()

    def settle(f: "Future[GenerationResult]") -> None:
        if view.done():
            return
        if f.cancelled():
            view.cancel()
        elif (exc := f.exception()) is not None:
            view.set_exception(exc)
        else:
            view.set_result(f.result())

    def done(f: "Future[GenerationResult]") -> None:
        try:
            loop.call_soon_threadsafe(settle, f)
        except RuntimeError:  # the loop is closed
            pass

    cf.add_done_callback(done)
    return view


class EmbeddedProvider:
    """``Provider`` for the in-process model. Built as ``EmbeddedProvider(config, models_dir)``."""

    def __init__(self, config: ProviderConfig, models_dir: Path) -> None:
        self.name = config.name
        self.config = config
        self.models_dir = Path(models_dir)
        pin = _pin(config.model_version)
        self._ref: ModelSpec | LocalModel = resolve(config.model_path or config.model, sha256=pin)
        self._sha256: str | None = self._ref.sha256
        self.runtime = LlamaRuntime(self._locate, n_ctx=config.n_ctx, n_threads=config.n_threads, name=config.name)

    # -- identity -----------------------------------------------------------------------

    @property
    def model(self) -> str:
        return self._ref.id

    @property
    def model_version(self) -> str:
        """The first 12 hex digits of the GGUF's sha256 (``config.model_version`` until a local file is hashed)."""
        return self._sha256[:12] if self._sha256 else self.config.model_version

    def _locate(self) -> Path:
        """Runs on the worker thread: a verified path (assembles from installed packages if needed)."""
        installed = ensure(self._ref, self.models_dir, assemble=True, pip_install=False)
        self._sha256 = installed.sha256
        return installed.path

    # -- lifecycle ----------------------------------------------------------------------

    async def load(self) -> None:
        """Load the model now instead of on the first request."""
        try:
            await asyncio.wrap_future(self.runtime.load())
        except Exception as exc:
            raise self._translate(exc) from exc

    async def health(self) -> bool:
        """Ready to answer: loaded and running, or (not loaded yet) a verified file on disk or
        installed packages to assemble it from on first use."""
        if not self.runtime.alive:
            return False
        if self.runtime.loaded:
            return True
        return await asyncio.to_thread(self._loadable)

    def _loadable(self) -> bool:
        try:
            ensure(self._ref, self.models_dir, assemble=False)
        except ModelNotInstalled:
            return isinstance(self._ref, ModelSpec) and locate_parts(self._ref).complete
        except (ModelError, OSError):
            return False
        return True

    async def aclose(self) -> None:
        await asyncio.to_thread(self.runtime.close)

    # -- requests -----------------------------------------------------------------------

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        request = spell_out_tool_results(request)
        body: dict[str, Any] = {
            "messages": [message_dict(m) for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            **sampling_fields(request),
            "stream": True,  # always: the per-token callback is how a deadline stops generation
            "stream_options": {"include_usage": True},
            "cache_prompt": True,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.json_schema is not None:
            body["json_schema"] = dict(request.json_schema)
        elif request.json_mode:
            body["response_format"] = {"type": "json_object"}
        return body

    def _follow(self, wanted: str | None) -> None:
        """Switch to the model a request names, when it is another model this provider can run."""
        if not wanted or wanted in (self.model, self.config.model, self.config.model_path, self.name):
            return
        try:
            ref = resolve(wanted)
        except (UnknownModel, ValueError):
            return
        if ref.id == self._ref.id:
            return
        old = self.runtime
        self._ref, self._sha256 = ref, ref.sha256
        self.runtime = LlamaRuntime(self._locate, n_ctx=self.config.n_ctx, n_threads=self.config.n_threads,
                                    name=self.config.name)
        asyncio.get_running_loop().run_in_executor(None, old.close)

    def _submit(self, request: ChatRequest, timeout: float, on_text: Any = None) -> tuple[Generation, float]:
        self._follow(request.model)
        deadline = min(request.deadline, time.monotonic() + max(0.0, timeout))
        try:
            return self.runtime.submit(self._body(request), deadline=deadline, on_text=on_text), deadline
        except RuntimeClosed as exc:
            raise self._error(str(exc), kind="unavailable") from exc

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        gen, deadline = self._submit(request, timeout)
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                result = await _watch(gen.future)
        except TimeoutError:
            error = self._timeout(gen)
            gen.cancel()
            raise error from None
        except asyncio.CancelledError:
            gen.cancel()
            raise
        except Exception as exc:
            raise self._translate(exc) from exc
        return self._completion(result, request)

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamChunk]:
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[object] = asyncio.Queue()

        def push(item: object) -> None:
            try:
                loop.call_soon_threadsafe(pieces.put_nowait, item)
            except RuntimeError:  # the loop is gone; nobody is listening
                pass

        held = bool(_offered(request))  # a tool call may come as plain JSON text: decide at the end
        gen, deadline = self._submit(request, timeout, on_text=None if held else push)
        gen.future.add_done_callback(lambda _f: push(_DONE))
        finished = False
        try:
            while True:
                try:
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        item = await pieces.get()
                except TimeoutError:
                    raise self._timeout(gen) from None
                if item is _DONE:
                    break
                yield StreamChunk(text=item)  # type: ignore[arg-type]
            try:
                result = gen.future.result(timeout=0)
            except Exception as exc:
                raise self._translate(exc) from exc
            finished = True
            done = self._completion(result, request)
            if (held and done.text) or done.tool_calls:
                yield StreamChunk(text=done.text if held else "", tool_calls=done.tool_calls)
            yield StreamChunk(finish_reason=done.finish_reason,
                              usage=Usage(result.prompt_tokens, result.completion_tokens))
        finally:
            if not finished:
                gen.cancel()

    # -- mapping ------------------------------------------------------------------------

    def _completion(self, result: GenerationResult, request: ChatRequest) -> Completion:
        calls = self._tool_calls(result, request)
        return Completion(
            text="" if calls else result.text,
            usage=Usage(input_tokens=result.prompt_tokens, output_tokens=result.completion_tokens),
            model=self.model,
            finish_reason="tool_calls" if calls else result.finish_reason,
            tool_calls=calls,
        )

    def _tool_calls(self, result: GenerationResult, request: ChatRequest) -> list[Any]:
        """The template parser's tool calls, else a call the model wrote as bare JSON."""
        try:
            return parse_tool_calls(result.tool_calls) or calls_in_text(result.text, _offered(request))
        except (KeyError, TypeError, ValueError) as exc:
            raise self._error(f"unusable tool call from the model: {exc!r}", kind="bad_response") from None

    def _error(self, message: str, *, kind: str, status: int | None = None) -> ProviderError:
        return ProviderError(f"{self.name}: {message}", provider=self.name, status=status, retryable=False, kind=kind)

    def _timeout(self, gen: Generation) -> ProviderError:
        # ``started``, not the future's state: at the deadline the worker may already have failed the
        # future itself, and a finished future is not "running" though it ran
        where = "while generating" if gen.started else "while queued; dropped without running"
        return self._error(f"deadline passed {where}", kind="timeout")

    def _translate(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, DeadlineExpired):
            return self._error(str(exc), kind="timeout")
        if isinstance(exc, GenerationFailed):
            if exc.code == 400:
                kind = "context_length_exceeded" if is_context_overflow(str(exc)) else "bad_request"
                return self._error(str(exc), kind=kind, status=400)
            return self._error(str(exc), kind="server", status=exc.code)
        if isinstance(exc, (ModelError, LoadFailed, RuntimeClosed)):
            return self._error(str(exc), kind="unavailable")
        if isinstance(exc, (Cancelled, asyncio.CancelledError)):
            return self._error("generation cancelled", kind="cancelled")
        return self._error(f"runtime failure: {exc!r}", kind="server")
