"""The in-process llama.cpp runtime: one model, one worker thread, one fair FIFO queue.

On two cores, two generations at once are each slower than one after the
other, so ``LlamaRuntime`` runs exactly one at a time on a dedicated thread
(llama.cpp releases the GIL; the event loop stays free). Requests wait in
arrival order. A request whose deadline passes while it waits is dropped
without running; one whose deadline passes while running is stopped at the
next token. Everything is plain threads and ``concurrent.futures``; the
asyncio adapter lives in ``sovereign.gateway.providers.embedded``.

The model is loaded lazily by the worker (first job) or on ``load()``.
``xllamacpp.Server`` also opens an HTTP port on 127.0.0.1; we lock it with a
random API key, since every call here goes through the Python API.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
import time
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

__all__ = [
    "Cancelled",
    "DeadlineExpired",
    "Generation",
    "GenerationFailed",
    "GenerationResult",
    "LlamaRuntime",
    "LoadFailed",
    "RuntimeClosed",
    "RuntimeStats",
    "default_threads",
    "runtime_params",
]

log = logging.getLogger(__name__)


class DeadlineExpired(Exception):
    def __init__(self, message: str, *, queued: bool) -> None:
        super().__init__(message)
        self.queued = queued  # True: dropped before it ran


class GenerationFailed(Exception):
    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RuntimeClosed(Exception):
    pass


class LoadFailed(Exception):
    """llama.cpp could not load the (verified) file: not a GGUF it understands, or out of memory."""


class Cancelled(Exception):
    pass


@dataclass(slots=True)
class GenerationResult:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float  # time spent running (not waiting)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # OpenAI shape, argument pieces joined


@dataclass(slots=True)
class RuntimeStats:
    submitted: int = 0
    completed: int = 0
    expired_in_queue: int = 0  # dropped without running
    timed_out: int = 0  # stopped mid-generation
    cancelled: int = 0
    failed: int = 0
    completion_tokens: int = 0


def default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def runtime_params(model_path: Path, *, n_ctx: int = 4096, n_threads: int | None = None) -> Any:
    """The ``xllamacpp.CommonParams`` we run with (shared with the benchmark's raw runtime)."""
    import xllamacpp

    threads = n_threads or default_threads()
    p = xllamacpp.CommonParams()
    p.model.path = str(model_path)
    p.n_ctx = n_ctx
    p.n_parallel = 1  # one generation at a time; our queue decides the order
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.cache_ram_mib = 512  # llama.cpp's default host prompt cache is 8 GiB
    p.ui = False
    p.verbosity = 3 if log.isEnabledFor(logging.DEBUG) else 0  # llama.cpp's own stderr chatter
    p.api_keys = [secrets.token_urlsafe(24)]  # the side HTTP port is not an open door
    return p


@dataclass(eq=False)
class Generation:
    """One queued request. ``on_text`` is called on the worker thread for each piece of text."""

    body: dict[str, Any]
    deadline: float  # time.monotonic()
    on_text: Callable[[str], None] | None = None
    future: Future[GenerationResult] = field(default_factory=Future)
    enqueued_at: float = field(default_factory=time.monotonic)
    started: bool = False  # the worker took it off the queue and ran it (set once, never unset)
    _stop: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Drop it if still queued, stop it at the next token if running."""
        self._stop.set()
        self.future.cancel()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()


class _Load:
    def __init__(self) -> None:
        self.future: Future[Path] = Future()


_CLOSE = object()


class LlamaRuntime:
    """Runs generations for one GGUF model, strictly one at a time, in arrival order.

    ``locate`` is called on the worker thread to get a verified model path (it
    may assemble or hash the file), right before the first load.
    """

    def __init__(self, locate: Callable[[], Path], *, n_ctx: int = 4096, n_threads: int | None = None,
                 name: str = "embedded") -> None:
        self._locate = locate
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._name = name
        self._jobs: queue.SimpleQueue[Generation | _Load | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._server: Any = None
        self._closed = False
        self._running: Generation | None = None
        self.model_path: Path | None = None
        self.stats = RuntimeStats()

    # -- public API (any thread) --------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._server is not None

    @property
    def alive(self) -> bool:
        return not self._closed and (self._thread is None or self._thread.is_alive())

    @property
    def queue_depth(self) -> int:
        return self._jobs.qsize() + (1 if self._running is not None else 0)

    def load(self) -> Future[Path]:
        job = _Load()
        self._put(job)
        return job.future

    def submit(self, body: dict[str, Any], *, deadline: float,
               on_text: Callable[[str], None] | None = None) -> Generation:
        gen = Generation(body=body, deadline=deadline, on_text=on_text)
        self._put(gen)
        self.stats.submitted += 1
        return gen

    def close(self, timeout: float | None = 30.0) -> None:
        """Stop taking work, fail what is queued, stop what runs, unload the model."""
        if self._closed:
            return
        self._closed = True
        running = self._running
        if running is not None:
            running._stop.set()
        self._jobs.put(_CLOSE)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if thread is None:
            self._drain()

    # -- worker thread ------------------------------------------------------------------

    def _put(self, job: Generation | _Load) -> None:
        if self._closed:
            raise RuntimeClosed(f"{self._name}: runtime is closed")
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=f"llama-{self._name}", daemon=True)
                self._thread.start()
        self._jobs.put(job)

    def _work(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is _CLOSE:
                    break
                if self._closed:
                    _fail(job, RuntimeClosed(f"{self._name}: runtime closed"))
                elif isinstance(job, _Load):
                    self._run_load(job)
                elif isinstance(job, Generation):
                    self._run_generation(job)
        finally:
            self._drain()
            self._server = None  # ~Server stops llama.cpp's loop and frees the model

    def _drain(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not _CLOSE:
                _fail(job, RuntimeClosed(f"{self._name}: runtime closed"))

    def _ensure_server(self) -> None:
        if self._server is not None:
            return
        import xllamacpp

        path = self._locate()
        started = time.monotonic()
        try:
            self._server = xllamacpp.Server(runtime_params(path, n_ctx=self._n_ctx, n_threads=self._n_threads))
        except RuntimeError as exc:
            raise LoadFailed(f"llama.cpp could not load {path}: {exc}") from exc
        self.model_path = path
        log.info("%s: loaded %s in %.1fs", self._name, path.name, time.monotonic() - started)

    def _run_load(self, job: _Load) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            self._ensure_server()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            job.future.set_exception(exc)
        else:
            assert self.model_path is not None
            job.future.set_result(self.model_path)

    def _run_generation(self, gen: Generation) -> None:
        if gen.stopping or not gen.future.set_running_or_notify_cancel():
            if time.monotonic() >= gen.deadline:
                self.stats.expired_in_queue += 1
            else:
                self.stats.cancelled += 1
            return
        waited = time.monotonic() - gen.enqueued_at
        if time.monotonic() >= gen.deadline:
            self.stats.expired_in_queue += 1
            _fail(gen, DeadlineExpired(f"deadline passed after {waited:.2f}s in the queue; not run", queued=True))
            return
        try:
            self._ensure_server()
        except BaseException as exc:  # noqa: BLE001 - a load failure belongs to this request
            self.stats.failed += 1
            _fail(gen, exc)
            return
        self._running = gen
        gen.started = True
        try:
            self._generate(gen)
        finally:
            self._running = None

    def _generate(self, gen: Generation) -> None:
        collector = _Collector(gen)
        started = time.monotonic()
        try:
            self._server.handle_chat_completions(gen.body, collector)
        except Exception as exc:  # noqa: BLE001 - xllamacpp raises ValueError on bad schemas etc.
            collector.error = GenerationFailed(str(exc), code=400)
        elapsed = time.monotonic() - started
        if collector.error is not None:
            self.stats.failed += 1
            _fail(gen, collector.error)
        elif collector.stopped_for == "deadline":
            self.stats.timed_out += 1
            _fail(gen, DeadlineExpired(f"deadline passed after {elapsed:.2f}s of generation; stopped", queued=False))
        elif collector.stopped_for == "cancel":
            self.stats.cancelled += 1
            _fail(gen, Cancelled("cancelled while generating"))
        else:
            self.stats.completed += 1
            result = collector.result(elapsed)
            self.stats.completion_tokens += result.completion_tokens
            _succeed(gen, result)


class _Collector:
    """The per-chunk callback llama.cpp calls on the worker thread. Returning True stops generation."""

    __slots__ = ("gen", "pieces", "finish_reason", "usage", "error", "stopped_for", "calls")

    def __init__(self, gen: Generation) -> None:
        self.gen = gen
        self.pieces: list[str] = []
        self.finish_reason = "stop"
        self.usage: dict[str, Any] | None = None
        self.error: Exception | None = None
        self.stopped_for: str | None = None
        self.calls: dict[int, dict[str, Any]] = {}

    def __call__(self, chunk: Any) -> bool:
        try:
            return self._take(chunk)
        except Exception as exc:  # noqa: BLE001 - never let an exception cross into C++
            self.error = GenerationFailed(f"bad chunk from runtime: {exc!r}")
            return True

    def _take(self, chunk: dict[str, Any]) -> bool:
        if "error" in chunk:
            err = chunk["error"]
            self.error = GenerationFailed(str(err.get("message", err)), code=err.get("code"))
            return True
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            for d in delta.get("tool_calls") or ():
                call = self.calls.setdefault(int(d.get("index", 0)), {"id": "", "type": "function",
                                                                      "function": {"name": "", "arguments": ""}})
                call["id"] = d.get("id") or call["id"]
                fn = d.get("function") or {}
                call["function"]["name"] = call["function"]["name"] or fn.get("name") or ""
                call["function"]["arguments"] += fn.get("arguments") or ""
            text = delta.get("content")
            if text:
                self.pieces.append(text)
                if self.gen.on_text is not None:
                    self.gen.on_text(text)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        if time.monotonic() >= self.gen.deadline:
            self.stopped_for = "deadline"
        elif self.gen.stopping:
            self.stopped_for = "cancel"
        return self.stopped_for is not None

    def result(self, seconds: float) -> GenerationResult:
        usage = self.usage or {}
        return GenerationResult(
            text="".join(self.pieces),
            finish_reason=self.finish_reason,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", len(self.pieces))),
            seconds=seconds,
            tool_calls=[self.calls[i] for i in sorted(self.calls)],
        )


def _fail(job: Generation | _Load, exc: BaseException) -> None:
    try:
        job.future.set_exception(exc)
    except InvalidStateError:
        pass  # the caller cancelled it: nobody is waiting


def _succeed(gen: Generation, result: GenerationResult) -> None:
    try:
        gen.future.set_result(result)
    except InvalidStateError:
        pass
