"""An ASGI app served by uvicorn on 127.0.0.1 inside the running event loop (tests, demo).

    async with LocalServer(app) as server:      # port 0: a free port
        httpx.get(server.url)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any, Iterator

import uvicorn

__all__ = ["LocalServer"]


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without signal handlers (the loop is someone else's), and with an exit that is an
    event rather than a flag polled ten times a second."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.exit_now = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 10  # on_tick refreshes the Date header when counter % 10 == 0
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.exit_now.wait(), 1.0)
            self.should_exit = self.should_exit or self.exit_now.is_set()


class LocalServer:
    def __init__(self, app: Any, port: int = 0, *, ssl_certfile: str | None = None, ssl_keyfile: str | None = None,
                 http: Any = "auto") -> None:
        """With ``ssl_certfile`` and ``ssl_keyfile`` (PEM) it serves HTTPS; ``http``: uvicorn's HTTP protocol."""
        self.app = app
        self.http = http
        self.port = port
        self._ssl = {"ssl_certfile": ssl_certfile, "ssl_keyfile": ssl_keyfile} if ssl_certfile else {}
        self.url = ""
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without
        # it small answers wait ~40 ms for delayed ACKs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        scheme = "https" if self._ssl else "http"
        self.url = f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", access_log=False, server_header=False,
            timeout_graceful_shutdown=2, proxy_headers=False, http=self.http, **self._ssl,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError(f"server on {self.url} did not start")
            await asyncio.sleep(0.005)
        return self.url

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.exit_now.set()
            await self._task
        self._server = self._task = None

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
