"""Data-class policy (hr_personal stays local whatever the config says) and the response cache."""

import pytest

from sovereign.gateway import CUSTOMER_PERSONAL, HR_PERSONAL, CallFinished, ChatRequest, GatewayError, MemoryCache
from sovereign.gateway.config import ProviderConfig

from .support import anthropic_cfg, openai_cfg


def ask(data_class: str = "public", **kw: object) -> ChatRequest:
    return ChatRequest.simple("Summarise this record.", feature="hr", data_class=data_class, timeout=2, **kw)


class EveryoneAllowed:
    """A careless policy: the router must still keep hr_personal local."""

    def filter(self, request, providers):
        return list(providers)


@pytest.mark.parametrize("policy", [None, EveryoneAllowed()])
async def test_hr_personal_never_reaches_a_non_local_provider(fake, fake2, make_gateway, policy) -> None:
    everything = ["public", CUSTOMER_PERSONAL, HR_PERSONAL]
    cloud = anthropic_cfg(fake, "cloud", 1, jurisdiction="US", data_classes=everything)
    local = openai_cfg(fake2, "local", 2, jurisdiction="local", data_classes=everything, max_retries=0)
    gw = make_gateway([cloud, local], policy=policy)
    fake2.set_mode("error")
    with pytest.raises(GatewayError):
        await gw.complete(ask(HR_PERSONAL))  # the local one is down: fail, never spill to the cloud
    assert fake.calls == 0
    fake2.set_mode("fast")
    assert (await gw.complete(ask(HR_PERSONAL))).provider == "local"
    [c async for c in gw.stream(ask(HR_PERSONAL))]
    gw.overrides.force_provider("cloud")
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask(HR_PERSONAL))
    assert e.value.reason == "policy"
    assert fake.calls == 0
    gw.overrides.force_provider(None)
    assert (await gw.complete(ask("public"))).provider == "cloud"


async def test_data_classes_filter_candidates(fake, fake2, make_gateway, events) -> None:
    gw = make_gateway([openai_cfg(fake, "public-only", 1), openai_cfg(fake2, "trusted", 2, data_classes=["public", CUSTOMER_PERSONAL])])
    assert (await gw.complete(ask(CUSTOMER_PERSONAL))).provider == "trusted"
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask("supplier_secret"))
    assert e.value.reason == "policy" and fake.calls == 0
    assert [x.outcome for x in events if isinstance(x, CallFinished)] == ["ok", "policy"]


async def test_cache_hit_skips_the_provider(fake, make_gateway, events) -> None:
    cache = MemoryCache()
    gw = make_gateway([openai_cfg(fake, "p", 1, model_version="v1")], cache=cache)
    first = await gw.complete(ask())
    second = await gw.complete(ask())
    assert fake.calls == 1 and not first.cached and second.cached and second.text == first.text
    assert second.attempts == 0 and second.model_version == "v1"
    finished = [e for e in events if isinstance(e, CallFinished)]
    assert [e.cached for e in finished] == [False, True]
    gw.overrides.pin_model("p", "p-model", "v2")  # a new model version: a new key
    await gw.complete(ask())
    assert fake.calls == 2


async def test_personal_data_is_not_cached_by_default(fake, make_gateway) -> None:
    cache = MemoryCache()
    gw = make_gateway([openai_cfg(fake, "p", 1, data_classes=["public", CUSTOMER_PERSONAL])], cache=cache)
    await gw.complete(ask(CUSTOMER_PERSONAL))
    await gw.complete(ask(CUSTOMER_PERSONAL))
    assert fake.calls == 2 and len(cache) == 0


async def test_a_broken_cache_is_only_a_miss(fake, make_gateway) -> None:
    class Broken:
        async def get(self, key):
            raise ConnectionError("database down")

        async def put(self, key, result, ttl):
            raise ConnectionError("database down")

    gw = make_gateway([openai_cfg(fake, "p", 1)], cache=Broken())
    assert (await gw.complete(ask())).text == "Hello from the fake LLM."


def test_config_rejects_duplicate_names(fake) -> None:
    from sovereign.gateway import Gateway

    with pytest.raises(ValueError):
        Gateway([openai_cfg(fake, "p", 1), openai_cfg(fake, "p", 2)])
    assert ProviderConfig(name="x", kind="anthropic", model="m").is_local


async def test_no_providers_at_all_fails_fast_as_unavailable(make_gateway) -> None:
    gw = make_gateway([])
    with pytest.raises(GatewayError) as e:
        await gw.complete(ask())
    assert e.value.reason == "unavailable" and "no LLM provider" in str(e.value)
    assert gw.health() == {} and gw.providers == []
