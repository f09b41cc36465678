"""The real embedded model answering through the gateway and the OpenAI-compatible endpoint (0.5B in CI)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from sovereign.gateway import CUSTOMER_PERSONAL, ChatRequest, Gateway, ProviderConfig
from sovereign.settings import Settings
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign.web.app import create_app

pytestmark = pytest.mark.model


async def test_a_chat_request_is_answered_by_the_local_model_through_the_gateway(
    small_config: ProviderConfig, models_dir: Path
) -> None:
    local = small_config.model_copy(update={"data_classes": ["public", CUSTOMER_PERSONAL]})
    async with Gateway([local], models_dir=models_dir) as gateway:
        result = await gateway.complete(
            ChatRequest.simple("What is the capital of France? Answer with one word.", feature="test", max_tokens=8,
                               timeout=120, data_class=CUSTOMER_PERSONAL)
        )
        assert "paris" in result.text.lower()
        assert (result.provider, result.jurisdiction) == ("local", "local")
        assert result.model_version.startswith("1d9614638d18") and result.usage.output_tokens > 0
        schema = {"type": "object", "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 10}},
                  "required": ["answer"]}
        structured = await gateway.complete(
            ChatRequest.simple("How much is 2 + 3? Reply as JSON.", feature="test", max_tokens=24, timeout=120,
                               json_schema=schema)
        )
        assert structured.parsed == {"answer": 5}


async def test_the_openai_endpoint_serves_the_local_model(db_url: str, small_config: ProviderConfig, models_dir: Path) -> None:
    settings = Settings(database_url=db_url, providers=[small_config], models_dir=models_dir)
    app = create_app(settings, run_worker=False)
    async with app.router.lifespan_context(app), LocalServer(app) as server:
        _, key = await app.state.runtime.api_keys.create("model-test", features=["gateway"])
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=120) as client:
            r = await client.post(
                f"{server.url}/v1/chat/completions",
                headers={"Authorization": f"Bearer {key}"},
                json={"model": "local", "max_tokens": 8,
                      "messages": [{"role": "user", "content": "Say the word hello and nothing else."}]},
            )
        assert r.status_code == 200, r.text
        body = r.json()
        assert "hello" in body["choices"][0]["message"]["content"].lower()
        assert body["usage"]["completion_tokens"] > 0 and time.monotonic() - started < 120
        from sovereign.audit import verify

        await app.state.runtime.audit.flush()
        check = await verify(app.state.runtime.db.pool)
        assert check.ok and check.rows >= 1  # the call is in the hash-chained audit log
