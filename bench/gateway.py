"""Per-call overhead of the sovereign gateway vs a direct httpx call vs LiteLLM's Router.

A tool-bearing request (one function offered, a tool call answered) is
measured too: ``sovereign_tools`` against ``direct_tools``. Two sovereign
gateways are measured for plain requests: ``sovereign`` (default policy, a no-op
event sink) and ``sovereign_audited`` (the residency policy and the audit
writer as event sink, writing hash-chained rows to a real embedded
PostgreSQL in the background; ``--no-audit`` leaves it out).

The fake upstream runs in its own process (so it does not share our event
loop). The three clients are called in turn, interleaved, against the same
upstream, so machine noise hits them alike. Overhead = client p50/p99 minus
the direct call's p50/p99 (the p99 difference is noisy on a shared machine;
``sovereign_router_only_*`` also gives the gateway's own time per call,
outside the adapter's HTTP exchange). Prints one JSON object on stdout; logs
go to stderr.

    python bench/gateway.py [--calls 1000] [--warmup 200] [--no-audit]
"""

from __future__ import annotations

import os
import sys

# Running ``python bench/x.py`` puts bench/ first on sys.path, where a sibling
# script (bench/queue.py) would shadow the standard library's ``queue``.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import importlib.metadata
import asyncio
import json
import logging
import statistics
import subprocess
import time
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # litellm fetches a cost map from the internet otherwise
os.environ.setdefault("LITELLM_LOG", "ERROR")

import httpx  # noqa: E402

from sovereign.gateway import ChatRequest, Gateway, GatewaySettings, ProviderConfig  # noqa: E402
from sovereign.gateway.config import Timeouts  # noqa: E402
from sovereign.gateway.residency import ResidencyPolicy  # noqa: E402

PROMPT = "Write one sentence about a blue ceramic mug."
TOOLS = [{
    "type": "function",
    "function": {
        "name": "apron_price", "description": "The price of an apron by colour.",
        "parameters": {"type": "object", "properties": {"color": {"type": "string", "enum": ["blue", "green"]}},
                       "required": ["color"]},
    },
}]
TOOL_ARGS = '{"color": "blue"}'
SETTLE_S = 0.003


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


async def start_upstream() -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign_testkit.fake_llm", "--port", "0", "--max-records", "1000",
        stdout=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    return proc, line.rsplit(" ", 1)[-1].strip()


def percentile(samples: list[float], p: float) -> float:
    data = sorted(samples)
    return data[min(len(data) - 1, max(0, round(p / 100 * (len(data) - 1))))]


def instrument(gateway: Gateway, name: str, *, tools: bool = False) -> tuple[Any, list[float]]:
    """A call through ``gateway`` that also records its time outside the provider adapter.

    With ``tools`` the request offers a function and the answer is its tool call (arguments as text)."""
    provider = gateway.provider(name)
    adapter_complete = provider.complete
    in_adapter: list[float] = []
    router_only: list[float] = []

    async def timed_complete(request: ChatRequest, *, timeout: float):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return await adapter_complete(request, timeout=timeout)
        finally:
            in_adapter.append((time.perf_counter() - t0) * 1000.0)

    provider.complete = timed_complete  # type: ignore[method-assign]

    async def call() -> str:
        t0 = time.perf_counter()
        request = ChatRequest.simple(PROMPT, feature="bench", max_tokens=64, timeout=30, tools=TOOLS if tools else None)
        result = await gateway.complete(request)
        router_only.append((time.perf_counter() - t0) * 1000.0 - in_adapter[-1])
        return result.tool_calls[0].arguments if tools else result.text

    return call, router_only


async def main(calls: int, warmup: int, audited: bool) -> dict[str, float | int | str | bool]:
    proc, url = await start_upstream()
    log(f"fake upstream at {url}")
    audit_db = None
    try:
        base = f"{url}/v1"
        direct = httpx.AsyncClient(base_url=base, timeout=30)
        payload = {"model": "fake-model", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 64, "temperature": 0.0}

        async def call_direct() -> str:
            r = await direct.post("/chat/completions", json=payload)
            r.raise_for_status()
            return r.json()["choices"][0]["message"]["content"]

        tool_payload = {**payload, "tools": TOOLS}

        async def call_direct_tools() -> str:
            r = await direct.post("/chat/completions", json=tool_payload)
            r.raise_for_status()
            return r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]

        config = ProviderConfig(
            name="fake", kind="openai_compatible", model="fake-model", endpoint=base,
            timeouts=Timeouts(connect=5, first_token=30, total=30),
        )
        gateway = Gateway([config], settings=GatewaySettings(), on_event=lambda e: None)
        call_sovereign, router_only = instrument(gateway, "fake")
        tools_gw = Gateway([config], settings=GatewaySettings(), on_event=lambda e: None)
        call_sovereign_tools, router_only_tools = instrument(tools_gw, "fake", tools=True)
        clients: dict[str, Any] = {"direct": call_direct, "sovereign": call_sovereign,
                                   "direct_tools": call_direct_tools, "sovereign_tools": call_sovereign_tools}
        only: dict[str, list[float]] = {"sovereign": router_only, "sovereign_tools": router_only_tools}
        if audited:
            from sovereign.audit import AuditWriter
            from sovereign.store.database import create_pool
            from sovereign_testkit.pg import TestPostgres

            pg = TestPostgres()
            audit_url = await pg.new_database("bench_audit")
            audit_db = (pg, audit_url, await create_pool(audit_url, min_size=1, max_size=2))
            audit = AuditWriter(audit_db[2])
            audit.start()
            audited_gw = Gateway([config], settings=GatewaySettings(), policy=ResidencyPolicy(), on_event=audit)
            clients["sovereign_audited"], only["sovereign_audited"] = instrument(audited_gw, "fake")

        import litellm  # slow import; after the upstream is up

        litellm.telemetry = False
        litellm.suppress_debug_info = True
        logging.getLogger("LiteLLM").setLevel(logging.ERROR)
        router = litellm.Router(
            model_list=[{
                "model_name": "fake",
                "litellm_params": {"model": "openai/fake-model", "api_base": base, "api_key": "sk-fake"},
            }],
            num_retries=0,
        )

        async def call_litellm() -> str:
            resp = await router.acompletion(
                model="fake", messages=[{"role": "user", "content": PROMPT}], max_tokens=64, temperature=0.0
            )
            return resp.choices[0].message.content

        clients["litellm"] = call_litellm
        for name, fn in clients.items():
            text = await fn()
            assert text == (TOOL_ARGS if name.endswith("_tools") else "Hello from the fake LLM."), (name, text)
        log(f"warm-up: {warmup} calls each")
        for _ in range(warmup):
            for fn in clients.values():
                await fn()
        samples: dict[str, list[float]] = {name: [] for name in clients}
        for times in only.values():
            times.clear()
        log(f"measuring: {calls} interleaved calls each")
        order = list(clients)
        k = len(order)
        for i in range(calls):
            for name in order[i % k :] + order[: i % k]:  # rotate, so no client always follows another
                await asyncio.sleep(SETTLE_S)  # let the previous client's background work (LiteLLM's logging) finish
                fn = clients[name]
                t0 = time.perf_counter()
                await fn()
                samples[name].append((time.perf_counter() - t0) * 1000.0)
        await gateway.aclose()
        await tools_gw.aclose()
        await direct.aclose()
        audit_report: dict[str, int | bool] = {}
        if audit_db is not None:
            from sovereign.audit import verify

            await audited_gw.aclose()
            await audit.aclose()
            report = await verify(audit_db[2])
            audit_report = {"audit_rows_written": audit.written, "audit_rows_dropped": audit.dropped,
                            "audit_chain_ok": report.ok}
    finally:
        proc.terminate()
        await proc.wait()
        if audit_db is not None:
            await audit_db[2].close()
            await audit_db[0].drop_database(audit_db[1])

    p50 = {n: statistics.median(s) for n, s in samples.items()}
    p99 = {n: percentile(s, 99) for n, s in samples.items()}
    sov50, sov99 = p50["sovereign"] - p50["direct"], p99["sovereign"] - p99["direct"]
    extra: dict[str, float | int | bool] = {}
    if "sovereign_audited" in samples:
        extra = {
            "sovereign_audited_p50_ms": round(p50["sovereign_audited"], 3),
            "sovereign_audited_overhead_p50_ms": round(p50["sovereign_audited"] - p50["direct"], 3),
            "sovereign_audited_overhead_p99_ms": round(p99["sovereign_audited"] - p99["direct"], 3),
            "sovereign_audited_router_only_p50_ms": round(statistics.median(only["sovereign_audited"]), 3),
            "sovereign_audited_router_only_p99_ms": round(percentile(only["sovereign_audited"], 99), 3),
            **audit_report,
        }
    lit50, lit99 = p50["litellm"] - p50["direct"], p99["litellm"] - p99["direct"]
    return {
        "calls": calls,
        "direct_p50_ms": round(p50["direct"], 3),
        "direct_p99_ms": round(p99["direct"], 3),
        "sovereign_p50_ms": round(p50["sovereign"], 3),
        "litellm_p50_ms": round(p50["litellm"], 3),
        "sovereign_overhead_p50_ms": round(sov50, 3),
        "sovereign_overhead_p99_ms": round(sov99, 3),
        "litellm_overhead_p50_ms": round(lit50, 3),
        "litellm_overhead_p99_ms": round(lit99, 3),
        "ratio_vs_litellm_p50": round(lit50 / max(sov50, 0.001), 1),
        "sovereign_p99_ms": round(p99["sovereign"], 3),
        "litellm_p99_ms": round(p99["litellm"], 3),
        # time in the gateway outside the provider adapter's HTTP call, measured per call (noise-free)
        "sovereign_router_only_p50_ms": round(statistics.median(router_only), 3),
        "sovereign_router_only_p99_ms": round(percentile(router_only, 99), 3),
        # the same call offering a tool, answered with a tool call: overhead against a direct call with tools
        "direct_tools_p50_ms": round(p50["direct_tools"], 3),
        "sovereign_tools_overhead_p50_ms": round(p50["sovereign_tools"] - p50["direct_tools"], 3),
        "sovereign_tools_overhead_p99_ms": round(p99["sovereign_tools"] - p99["direct_tools"], 3),
        "sovereign_tools_router_only_p50_ms": round(statistics.median(router_only_tools), 3),
        "sovereign_tools_router_only_p99_ms": round(percentile(router_only_tools, 99), 3),
        **extra,
        "litellm_version": importlib.metadata.version("litellm"),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--no-audit", action="store_true", help="leave out the residency + audit variant")
    args = ap.parse_args()
    print(json.dumps(asyncio.run(main(args.calls, args.warmup, not args.no_audit))))
