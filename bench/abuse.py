"""Abuse: nothing from outside can lock Sovereign up. Against a real `sovereign serve` subprocess.

The server runs as ``sovereign serve --no-worker`` on a free port with a fresh embedded PostgreSQL.
Its model: the local embedded model when ``--llm local`` (or ``auto`` and ``SOVEREIGN_MODELS_DIR``
holds one), else a fake OpenAI-compatible upstream from sovereign_testkit (``--llm fake``), whose
answers to /v1 flood prompts take ``--chat-s`` seconds (a long generation) while fraud reviews answer
at once. The JSON says which. Phases:

* **stall**: 50 raw requests with 60 KB paths and 60 KB headers; the event-loop lag histogram
  (``sovereign_event_loop_lag_seconds``, sampled every 10 ms) before/after gives the worst stall (the
  upper bound of the highest bucket that got a sample), beside the worst ``/healthz`` round trip and
  the baseline: the same measure while only ``/healthz`` is polled for as long (``loop_max_stall_ms_idle``).
  Target < 50 ms.
* **flood**: 200 concurrent ``/v1/chat/completions`` (50 keys, 4 each); meanwhile checkout scores
  (``POST /v1/fraud/score``, one at a time). Targets: fraud p99 < 100 ms with no failure, the first
  429 within 1000 ms of the flood's start, no 5xx.
* **client errors**: 50 prompts longer than the model's context; the breaker must not open
  (``sovereign_llm_breaker_transitions_total{state="open"}`` unchanged). Target 0.

Prints one JSON object. Usage: ``python bench/abuse.py [--llm auto|local|fake]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path[:] = [p for p in sys.path if p not in ("", str(Path(__file__).resolve().parent))]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import aiohttp  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from sovereign.gateway_setup import installed_model  # noqa: E402
from sovereign.settings import Settings  # noqa: E402
from sovereign.store.api_keys import ApiKeyRepository  # noqa: E402
from sovereign.store.database import create_pool  # noqa: E402
from sovereign.store.stores import StoreRepository  # noqa: E402
from sovereign_testkit.fake_llm import FakeLLM  # noqa: E402
from sovereign_testkit.fixtures import load_json  # noqa: E402
from sovereign_testkit.pg import TestPostgres  # noqa: E402

FLOOD = "FLOOD-CHAT"  # marks /v1 flood prompts: the fake upstream takes --chat-s to answer them


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1) if ordered else 0.0


async def scrape(http: aiohttp.ClientSession, url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with http.get(url + "/metrics") as r:
        text = await r.text()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def lag_buckets(m: dict) -> dict[float, float]:
    return {float(dict(labels)["le"]): v for (name, labels), v in m.items()
            if name == "sovereign_event_loop_lag_seconds_bucket"}


def opens(m: dict) -> float:
    return sum(v for (name, labels), v in m.items()
               if name == "sovereign_llm_breaker_transitions_total" and dict(labels).get("state") == "open")


async def wait_ready(http: aiohttp.ClientSession, url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"sovereign serve exited with {server.returncode}")
        try:
            async with http.get(url + "/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("sovereign serve did not come up")


async def raw_junk(port: int, i: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /{i}{'a' * 60_000} HTTP/1.1\r\nHost: x\r\nX-Junk: {'b' * 60_000}\r\n\r\n".encode())
    await writer.drain()
    line = await reader.readline()
    writer.close()
    return int(line.split()[1])


def worst_lag(before: dict[float, float], after: dict[float, float]) -> tuple[float, int]:
    """The upper bound of the worst new lag sample (cumulative buckets: the smallest bound holding them all)."""
    total_new = after[float("inf")] - before.get(float("inf"), 0.0)
    grew = sorted(le for le in after if after[le] - before.get(le, 0.0) > 0)
    return (next(le for le in grew if after[le] - before.get(le, 0.0) >= total_new) if total_new else 0.0), int(total_new)


async def idle_stall(http: aiohttp.ClientSession, url: str, seconds: float) -> float:
    """The baseline: the worst lag while only /healthz is polled, as long as the junk took."""
    await asyncio.sleep(0.5)
    before = lag_buckets(await scrape(http, url))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        async with http.get(url + "/healthz") as r:
            await r.read()
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.1)
    return worst_lag(before, lag_buckets(await scrape(http, url)))[0]


async def stall_phase(http: aiohttp.ClientSession, url: str, port: int) -> dict[str, Any]:
    await asyncio.sleep(0.5)
    before = lag_buckets(await scrape(http, url))
    started = time.perf_counter()
    flood = asyncio.gather(*(raw_junk(port, i) for i in range(50)))
    worst = 0.0
    while not flood.done():
        t0 = time.perf_counter()
        async with http.get(url + "/healthz") as r:
            await r.read()
        worst = max(worst, time.perf_counter() - t0)
        await asyncio.sleep(0.005)
    statuses = await flood
    took = time.perf_counter() - started
    await asyncio.sleep(0.1)
    bound, samples = worst_lag(before, lag_buckets(await scrape(http, url)))
    idle = await idle_stall(http, url, max(took, 0.2))
    return {"loop_max_stall_ms": round(bound * 1000, 1), "loop_max_stall_ms_idle": round(idle * 1000, 1),
            "healthz_max_ms_during_junk": round(worst * 1000, 1), "junk_statuses": sorted(set(statuses)),
            "lag_samples": samples}


async def flood_phase(http: aiohttp.ClientSession, url: str, keys: list[str], fraud_key: str, model: str,
                      chats: int) -> dict[str, Any]:
    orders = load_json("orders.json")
    start = time.perf_counter()
    first_429: list[float] = []
    codes: dict[int, int] = {}

    async def chat(i: int) -> None:
        body = {"model": model, "max_tokens": 16,
                "messages": [{"role": "user", "content": f"{FLOOD} {i}: write a long story about a hat."}]}
        try:
            async with http.post(url + "/v1/chat/completions", json=body,
                                 headers={"authorization": f"Bearer {keys[i % len(keys)]}"}) as r:
                await r.read()
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            status = 599
        codes[status] = codes.get(status, 0) + 1
        if status == 429 and not first_429:
            first_429.append((time.perf_counter() - start) * 1000)

    tasks = [asyncio.create_task(chat(i)) for i in range(chats)]
    fraud_ms: list[float] = []
    failures = 0
    llm_states: dict[str, int] = {}
    i = 0
    while not all(t.done() for t in tasks) or i < 30:
        order = orders[i % len(orders)]
        i += 1
        t0 = time.perf_counter()
        try:
            async with http.post(url + "/v1/fraud/score", json={"store": "bench", "order": order},
                                 headers={"authorization": f"Bearer {fraud_key}"}) as r:
                doc = await r.json()
                ok = r.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            ok, doc = False, {}
        fraud_ms.append((time.perf_counter() - t0) * 1000)
        if not ok:
            failures += 1
        else:
            llm_states[str(doc.get("llm"))] = llm_states.get(str(doc.get("llm")), 0) + 1
        if i >= 2000:
            break
    await asyncio.gather(*tasks)
    return {
        "fraud_p99_ms_under_flood": pct(fraud_ms, 0.99), "fraud_p50_ms_under_flood": pct(fraud_ms, 0.5),
        "fraud_scores": len(fraud_ms), "fraud_failures": failures, "fraud_llm_states": llm_states,
        "flood_first_rejection_ms": round(first_429[0], 1) if first_429 else None,
        "flood_statuses": {str(k): v for k, v in sorted(codes.items())},
        "flood_5xx": sum(v for k, v in codes.items() if k >= 500),
        "flood_seconds": round(time.perf_counter() - start, 1),
    }


async def client_error_phase(http: aiohttp.ClientSession, url: str, key: str, model: str) -> dict[str, Any]:
    before = opens(await scrape(http, url))
    prompt = "word " * 6000  # past a 4,096-token context
    codes: dict[str, int] = {}
    for _ in range(50):
        async with http.post(url + "/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                             json={"model": model, "messages": [{"role": "user", "content": prompt}]}) as r:
            doc = await r.json()
            code = f"{r.status} {(doc.get('error') or {}).get('code')}"
        codes[code] = codes.get(code, 0) + 1
    after = opens(await scrape(http, url))
    return {"breaker_opens_from_client_errors": int(after - before), "oversized_prompt_answers": codes}


async def main(a: argparse.Namespace) -> dict[str, Any]:
    models_dir = os.environ.get("SOVEREIGN_MODELS_DIR")
    local = a.llm == "local" or (a.llm == "auto" and bool(models_dir)
                                 and installed_model(Settings(models_dir=models_dir)) is not None)
    pg = TestPostgres()
    db_url = await pg.new_database("abuse")
    pool = await create_pool(db_url, max_size=4)
    await StoreRepository(pool).upsert("bench", url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                                       webhook_secret="bench-secret")
    keys_repo = ApiKeyRepository(pool)
    keys = [(await keys_repo.create(f"flood-{i}", rate_per_minute=100_000))[1] for i in range(50)]
    fraud_key = (await keys_repo.create("checkout", features=["fraud"], rate_per_minute=1_000_000))[1]
    port = free_port()
    env = {**os.environ, "SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_LOG_LEVEL": "WARNING",
           "SOVEREIGN_LOOP_LAG_INTERVAL_S": "0.01", "SOVEREIGN_DB_POOL_MAX": "20"}
    fake = None
    if local:
        model = "auto"
        env["SOVEREIGN_EMBEDDED_MODEL"] = "auto"
    else:
        fake = await FakeLLM(reply=json.dumps({"risk": 20, "reasons": ["Nothing unusual."]}), context=4096,
                             delays={FLOOD: a.chat_s}).start()
        model = "fake"
        env["SOVEREIGN_EMBEDDED_MODEL"] = "none"
        env["SOVEREIGN_PROVIDERS"] = json.dumps([{
            "name": "fake", "kind": "openai_compatible", "endpoint": fake.openai_url, "model": "fake-model",
            "jurisdiction": "local", "data_classes": ["public", "customer_personal"], "max_retries": 0,
            "timeouts": {"connect": 1.0, "first_token": 30.0, "total": 30.0},
        }])
    server = subprocess.Popen([sys.executable, "-m", "sovereign.cli", "serve", "--no-worker", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if not a.verbose else None)
    url = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"llm": "local embedded model" if local else "fake openai_compatible upstream (sovereign_testkit)",
                           "cores": os.cpu_count()}
    t0 = time.perf_counter()
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as http:
            await wait_ready(http, url, server)
            out["plaintext_secrets_in_db"] = await StoreRepository(pool).plaintext_secret_stores()  # sealed at start
            if local:  # load the model before timing anything
                async with http.post(url + "/v1/chat/completions", headers={"authorization": f"Bearer {keys[0]}"},
                                     json={"model": model, "max_tokens": 4,
                                           "messages": [{"role": "user", "content": "Hi"}]}) as r:
                    await r.read()
            out.update(await stall_phase(http, url, port))
            log(f"stall: {out}")
            out.update(await flood_phase(http, url, keys, fraud_key, model, a.chats))
            log(f"flood done at {time.perf_counter() - t0:.1f}s")
            out.update(await client_error_phase(http, url, keys[-1], model))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        if fake is not None:
            await fake.stop()
        await pool.close()
        await pg.drop_database(db_url)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    out["targets"] = {"loop_max_stall_ms": "< 50", "fraud_p99_ms_under_flood": "< 100", "fraud_failures": 0,
                      "flood_first_rejection_ms": "< 1000", "flood_5xx": 0, "breaker_opens_from_client_errors": 0,
                      "plaintext_secrets_in_db": 0}
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", choices=("auto", "local", "fake"), default="auto")
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--chat-s", type=float, default=2.0, help="fake upstream: seconds per /v1 flood answer")
    parser.add_argument("--verbose", action="store_true")
    result = asyncio.run(main(parser.parse_args()))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
