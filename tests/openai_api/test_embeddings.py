"""``/v1/embeddings``: a clear 404 without an embedding model; with one, proxied under scope and residency."""

from __future__ import annotations

from typing import Any, AsyncIterator

import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sovereign.gateway.config import EmbeddingSettings
from sovereign_testkit.fake_llm import FakeLLM
from sovereign_testkit.fake_woo_server import LocalServer

from .conftest import provider


class EmbeddingUpstream:
    """An OpenAI-compatible ``/v1/embeddings`` on 127.0.0.1 that records what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.server = LocalServer(Starlette(routes=[
            Route("/v1/embeddings", self.embed, methods=["POST"]),
            Route("/v1/models", lambda r: JSONResponse({"data": []})),
        ]))

    async def embed(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.received.append(body)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 0.5, -1.0]} for i, t in enumerate(inputs)]
        return JSONResponse({"object": "list", "data": data, "model": body["model"],
                             "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})


@pytest.fixture
async def upstream() -> AsyncIterator[EmbeddingUpstream]:
    up = EmbeddingUpstream()
    async with up.server:
        yield up


async def test_without_an_embedding_model_the_endpoint_says_so(start, cloud: FakeLLM) -> None:
    svc = await start([provider(cloud, "cloud", "US", 1)])
    client = svc.client(await svc.key())
    with pytest.raises(openai.NotFoundError) as e:
        await client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert e.value.code == "embeddings_not_configured"


async def test_embeddings_through_a_configured_provider(start, local: FakeLLM, upstream: EmbeddingUpstream, pool) -> None:
    embedder = provider(f"{upstream.server.url}/v1", "embedder", "US", 5)
    svc = await start([provider(local, "local", "local", 1), embedder], EmbeddingSettings(provider="embedder", model="embed-small"))
    client = svc.client(await svc.key())
    assert "embed-small" in [m.id for m in (await client.models.list()).data]
    resp = await client.embeddings.create(model="embed-small", input=["hello", "big world"])
    assert [d.embedding for d in resp.data] == [[5.0, 0.5, -1.0], [9.0, 0.5, -1.0]] and resp.model == "embed-small"
    assert upstream.received == [{"model": "embed-small", "input": ["hello", "big world"], "encoding_format": "base64"}]
    with pytest.raises(openai.NotFoundError):
        await client.embeddings.create(model="other-embedder", input="x")
    await svc.audit.flush()
    row = await pool.fetchrow("SELECT provider, model, outcome FROM sovereign_audit_log WHERE provider = 'embedder'")
    assert tuple(row) == ("embedder", "embed-small", "ok")


async def test_embeddings_respect_scope_and_residency(start, local: FakeLLM, upstream: EmbeddingUpstream) -> None:
    embedder = provider(f"{upstream.server.url}/v1", "embedder", "US", 5)
    svc = await start([provider(local, "local", "local", 1), embedder], EmbeddingSettings(provider="embedder", model="embed-small"))
    customer = svc.client(await svc.key(data_class="customer_personal"))  # US may see it only redacted
    with pytest.raises(openai.PermissionDeniedError) as e:
        await customer.embeddings.create(model="embed-small", input="Klaus Müller, Königsallee 27")
    assert e.value.code == "policy_refused"
    assert "embed-small" not in [m.id for m in (await customer.models.list()).data]
    chat_only = svc.client(await svc.key(models=["local"]))
    with pytest.raises(openai.PermissionDeniedError) as e:
        await chat_only.embeddings.create(model="embed-small", input="x")
    assert e.value.code == "model_not_allowed"
    assert upstream.received == []
