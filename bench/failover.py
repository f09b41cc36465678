"""Failover under a failing primary: a hang, a 429 storm, then every provider down.

* hang: the primary never answers; its total timeout is ``PRIMARY_TIMEOUT_S``.
  ``first_success_after_failure_ms`` is the first call's latency (target:
  the primary's timeout + 50 ms).
* storm: the primary answers 429 to everything. Its breaker opens;
  ``calls_to_open_breaker`` counts calls that reached a primary while its
  breaker was open (target 0), over both scenarios.
* ``availability``: share of calls answered during the hang and the storm.
* down: both providers fail; ``degraded_entered`` says the feature switched
  to degraded mode (calls then fail fast for the rule-based fallback).

Upstreams are fake servers on 127.0.0.1. Prints one JSON object on stdout.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]  # bench/queue.py vs stdlib queue

import asyncio  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

from sovereign.gateway import BreakerChanged, ChatRequest, DegradedEntered, Gateway, GatewayError  # noqa: E402
from sovereign.gateway.config import GatewaySettings, ProviderConfig, Timeouts  # noqa: E402
from sovereign_testkit.fake_llm import FakeLLM  # noqa: E402

PRIMARY_TIMEOUT_S = 0.5
CALLS = 200


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def configs(primary: FakeLLM, backup: FakeLLM) -> list[ProviderConfig]:
    return [
        ProviderConfig(
            name="primary", kind="openai_compatible", model="big", endpoint=primary.openai_url, priority=1,
            timeouts=Timeouts(connect=1.0, first_token=PRIMARY_TIMEOUT_S, total=PRIMARY_TIMEOUT_S),
        ),
        ProviderConfig(
            name="backup", kind="anthropic", model="small", endpoint=backup.url, priority=2, api_key="k",
            timeouts=Timeouts(connect=1.0, first_token=5.0, total=5.0),
        ),
    ]


class Watch:
    """Counts calls reaching the primary while its breaker is open."""

    def __init__(self, primary: FakeLLM) -> None:
        self.primary = primary
        self.open_since_calls: int | None = None
        self.leaked = 0
        self.opened = False
        self.degraded = False

    def __call__(self, event: object) -> None:
        if isinstance(event, BreakerChanged) and event.provider == "primary":
            if event.state == "open":
                self.opened = True
                self.open_since_calls = self.primary.calls
            elif self.open_since_calls is not None:
                self.leaked += self.primary.calls - self.open_since_calls
                self.open_since_calls = None
        if isinstance(event, DegradedEntered):
            self.degraded = True

    def settle(self) -> None:
        if self.open_since_calls is not None:
            self.leaked += self.primary.calls - self.open_since_calls
            self.open_since_calls = self.primary.calls


async def run_calls(gw: Gateway, n: int) -> tuple[int, list[float]]:
    ok, latencies = 0, []
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            await gw.complete(ChatRequest.simple("Describe a mug.", feature="describe", timeout=5))
            ok += 1
        except GatewayError:
            pass
        latencies.append((time.perf_counter() - t0) * 1000.0)
    return ok, latencies


async def scenario(mode: str, n: int) -> dict[str, object]:
    async with FakeLLM(mode=mode) as primary, FakeLLM(reply="backup answer") as backup:
        watch = Watch(primary)
        settings = GatewaySettings()  # defaults: 5 consecutive failures open, 15 s cool-down
        gw = Gateway(configs(primary, backup), settings=settings, on_event=watch)
        try:
            ok, lat = await run_calls(gw, n)
        finally:
            watch.settle()
            await gw.aclose()
        log(f"{mode}: {ok}/{n} ok, primary calls {primary.calls}, breaker opened {watch.opened}")
        return {"ok": ok, "calls": n, "first_ms": lat[0], "primary_calls": primary.calls, "leaked": watch.leaked,
                "opened": watch.opened, "p50_after_open_ms": round(sorted(lat[10:])[len(lat[10:]) // 2], 3) if n > 10 else None}


async def all_down(n: int) -> dict[str, object]:
    async with FakeLLM(mode="error") as primary, FakeLLM(mode="reset") as backup:
        watch = Watch(primary)
        gw = Gateway(configs(primary, backup), on_event=watch)
        try:
            ok, lat = await run_calls(gw, n)
        finally:
            await gw.aclose()
        refused_ms = sorted(lat[-20:])[10]
        log(f"down: {ok}/{n} ok, degraded {watch.degraded}, refusal p50 {refused_ms:.3f} ms")
        return {"degraded": watch.degraded and gw.is_degraded("describe"), "refusal_p50_ms": refused_ms, "status": gw.status()["features"]}


async def main() -> dict[str, object]:
    hang = await scenario("hang", 40)
    storm = await scenario("rate_limited", CALLS)
    down = await all_down(60)
    answered = hang["ok"] + storm["ok"]  # type: ignore[operator]
    total = hang["calls"] + storm["calls"]  # type: ignore[operator]
    return {
        "primary_timeout_ms": PRIMARY_TIMEOUT_S * 1000,
        "first_success_after_failure_ms": round(hang["first_ms"], 1),  # type: ignore[arg-type]
        "target_first_success_ms": PRIMARY_TIMEOUT_S * 1000 + 50,
        "calls_to_open_breaker": hang["leaked"] + storm["leaked"],  # type: ignore[operator]
        "breaker_opened": {"hang": hang["opened"], "storm": storm["opened"]},
        "primary_calls": {"hang": hang["primary_calls"], "storm": storm["primary_calls"]},
        "p50_after_open_ms": {"hang": hang["p50_after_open_ms"], "storm": storm["p50_after_open_ms"]},
        "availability": round(answered / total, 4),
        "degraded_entered": down["degraded"],
        "degraded_refusal_p50_ms": round(down["refusal_p50_ms"], 3),  # type: ignore[arg-type]
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
