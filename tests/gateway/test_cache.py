
from sovereign.gateway import ChatRequest, ChatResult, MemoryCache, Usage, cache_key
from sovereign.gateway.cache import result_from_dict, result_to_dict

from .clock import Clock


def test_key_ignores_deadline_feature_and_metadata_but_not_content() -> None:
    a = ChatRequest.simple("describe the mug", feature="x", timeout=5)
    b = ChatRequest.simple("describe the mug", feature="y", timeout=50, metadata={"job": 1})
    assert cache_key(a, "v1") == cache_key(b, "v1")
    assert cache_key(a, "v1") != cache_key(a, "v2")
    assert cache_key(a, "v1") != cache_key(ChatRequest.simple("describe the cup", feature="x"), "v1")
    assert cache_key(a, "v1") != cache_key(ChatRequest.simple("describe the mug", feature="x", max_tokens=9), "v1")
    schema = {"type": "object"}
    assert cache_key(a, "v1") != cache_key(ChatRequest.simple("describe the mug", feature="x", json_schema=schema), "v1")


def result() -> ChatResult:
    return ChatResult("t", "p", "m", "v", "local", Usage(3, 4), 12.0, parsed={"a": 1})


async def test_memory_cache_ttl_and_bound() -> None:
    clock = Clock()
    cache = MemoryCache(max_entries=2, clock=clock)
    await cache.put("a", result(), ttl=10)
    assert (await cache.get("a")) == result()
    clock.advance(10.1)
    assert await cache.get("a") is None
    for k in "bcd":
        await cache.put(k, result(), ttl=10)
    assert len(cache) == 2 and await cache.get("b") is None and await cache.get("d") is not None


def test_result_round_trips_through_a_dict() -> None:
    assert result_from_dict(result_to_dict(result())) == result()
