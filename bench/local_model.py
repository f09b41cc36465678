"""Tokens/s of the local model through the gateway provider vs the raw xllamacpp runtime.

Same GGUF, same llama.cpp parameters (``runtime_params``), same prompt and
sampling. Both are warmed up, then runs alternate raw/gateway to spread noise
evenly. Prints one JSON object on stdout; logs go to stderr.

    python bench/local_model.py [--model ID] [--runs 5] [--max-tokens 128] [--threads N]

The model is taken from ``$SOVEREIGN_MODELS_DIR`` (else the default models
folder) and assembled there from its installed packages if needed.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# Running ``python bench/x.py`` puts bench/ first on sys.path, where sibling scripts
# (bench/queue.py) would shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import json
import logging
import time
from typing import Any

from sovereign.gateway.config import ProviderConfig
from sovereign.gateway.providers.embedded import EmbeddedProvider
from sovereign.gateway.types import ChatRequest, Message
from sovereign.models import TEST_MODEL_ID, default_models_dir, ensure
from sovereign.models.runtime import default_threads, runtime_params

log = logging.getLogger("bench.local_model")

SYSTEM = "You are a helpful assistant."
PROMPT = "Explain in detail how a hash table works, including collisions and resizing."


def _raw_run(server: Any, max_tokens: int) -> tuple[int, int, float]:
    body = {
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
    }
    started = time.perf_counter()
    out = server.handle_chat_completions(body)
    elapsed = time.perf_counter() - started
    return out["usage"]["prompt_tokens"], out["usage"]["completion_tokens"], elapsed


async def _gateway_run(provider: EmbeddedProvider, max_tokens: int) -> tuple[int, int, float]:
    req = ChatRequest(messages=[Message("system", SYSTEM), Message("user", PROMPT)], feature="bench",
                      max_tokens=max_tokens, temperature=0.0)
    started = time.perf_counter()
    out = await provider.complete(req, timeout=600)
    elapsed = time.perf_counter() - started
    return out.usage.input_tokens, out.usage.output_tokens, elapsed


async def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=TEST_MODEL_ID)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--n-ctx", type=int, default=2048)
    args = ap.parse_args()

    import xllamacpp

    models_dir = default_models_dir()
    installed = await asyncio.to_thread(ensure, args.model, models_dir, assemble=True, pip_install=False)
    log.info("model %s at %s", args.model, installed.path)

    cfg = ProviderConfig(name="bench", kind="embedded", model=args.model, n_ctx=args.n_ctx, n_threads=args.threads)
    provider = EmbeddedProvider(cfg, models_dir)
    await provider.load()
    raw = xllamacpp.Server(runtime_params(installed.path, n_ctx=args.n_ctx, n_threads=args.threads))

    _raw_run(raw, args.max_tokens)  # warm-up both: page in weights, fill the prompt cache
    await _gateway_run(provider, args.max_tokens)

    totals = {"raw": [0, 0.0], "gateway": [0, 0.0]}
    prompt_tokens = gen_tokens = 0
    for i in range(args.runs):
        order = ("raw", "gateway") if i % 2 == 0 else ("gateway", "raw")
        for which in order:
            if which == "raw":
                p, g, s = _raw_run(raw, args.max_tokens)
            else:
                p, g, s = await _gateway_run(provider, args.max_tokens)
                prompt_tokens, gen_tokens = p, g
            totals[which][0] += g
            totals[which][1] += s
            log.info("run %d %-7s %d tokens in %.2fs (%.1f tok/s)", i, which, g, s, g / s)

    await provider.aclose()
    del raw
    raw_tok_s = totals["raw"][0] / totals["raw"][1]
    gw_tok_s = totals["gateway"][0] / totals["gateway"][1]
    return {
        "model": args.model,
        "model_version": installed.version,
        "prompt_tokens": prompt_tokens,
        "gen_tokens": gen_tokens,
        "runs": args.runs,
        "n_threads": args.threads or default_threads(),
        "gateway_tok_s": round(gw_tok_s, 2),
        "raw_tok_s": round(raw_tok_s, 2),
        "ratio": round(gw_tok_s / raw_tok_s, 3),
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    result = asyncio.run(main())
    print(json.dumps(result))
