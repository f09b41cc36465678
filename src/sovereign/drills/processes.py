"""Child processes of a drill: fake LLM providers, `sovereign serve`, `sovereign worker`. The I/O edge.

Every child runs from this interpreter (``python -m ...``), listens on
127.0.0.1 only, and writes its output to a log file in the drill's work folder.

    proc = spawn("serve", ["-m", "sovereign.cli", "serve"], env, logs)
    await wait_http("http://127.0.0.1:8787/healthz")
    proc.stop()        # SIGTERM, then SIGKILL after a grace period
    proc.kill()        # SIGKILL at once (a crash)
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import httpx

__all__ = ["ChildProcess", "FakeProvider", "child_env", "free_port", "spawn", "wait_http"]

HOST = "127.0.0.1"


def free_port() -> int:
    """A port the OS says is free now (there is a small race until the child binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any ``SOVEREIGN_*`` setting (the drill decides them all),
    plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOVEREIGN_")}
    env.update(extra)
    return env


@dataclass
class ChildProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (a crash, an OOM kill)."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, grace_s: float = 15.0) -> int | None:
        """SIGTERM, wait up to ``grace_s``, then SIGKILL. Returns the exit code."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.popen.returncode

    def tail(self, n: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def spawn(name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> ChildProcess:
    """Start ``python <args>`` with ``env``; stdout and stderr go to ``log_dir/<name>.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("ab") as fh:
        popen = subprocess.Popen(
            [sys.executable, *args], env=dict(env), stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    return ChildProcess(name, popen, log)


async def wait_http(url: str, *, timeout_s: float = 60.0, proc: ChildProcess | None = None) -> None:
    """Until ``GET url`` answers 200; fails early when ``proc`` exits."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc is not None and not proc.alive():
                raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
            try:
                r = await client.get(url)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.2)
    tail = f"\n{proc.tail()}" if proc is not None else ""
    raise TimeoutError(f"{url} not ready after {timeout_s:.0f}s ({last}){tail}")


class FakeProvider:
    """A standalone fake LLM (``python -m sovereign_testkit.fake_llm``) and its HTTP control API."""

    def __init__(self, name: str, jurisdiction: str, reply: str, log_dir: Path) -> None:
        self.name = name
        self.jurisdiction = jurisdiction
        self.reply = reply
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._log_dir = log_dir
        self.proc: ChildProcess | None = None
        self._http = httpx.AsyncClient(base_url=self.url, timeout=30.0)

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    async def start(self) -> "FakeProvider":
        args = ["-m", "sovereign_testkit.fake_llm", "--port", str(self.port), "--reply", self.reply]
        self.proc = spawn(f"fake-llm-{self.name}", args, child_env({}), self._log_dir)
        await wait_http(f"{self.url}/_fake/stats", timeout_s=30, proc=self.proc)
        return self

    async def set_mode(self, step: Mapping[str, Any]) -> None:
        r = await self._http.post("/_fake/mode", json=dict(step))
        r.raise_for_status()

    async def stats(self) -> dict[str, Any]:
        r = await self._http.get("/_fake/stats")
        r.raise_for_status()
        return r.json()

    async def requests(self) -> list[dict[str, Any]]:
        """Every request it received (``body_b64`` holds the exact bytes)."""
        r = await self._http.get("/_fake/requests")
        r.raise_for_status()
        return r.json()

    async def stop(self) -> None:
        await self._http.aclose()
        if self.proc is not None:
            self.proc.stop(5)
