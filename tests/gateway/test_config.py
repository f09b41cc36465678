"""Provider configuration defaults that change behaviour."""

from sovereign.gateway import ProviderConfig
from sovereign.gateway.config import EMBEDDED_TIMEOUTS, Timeouts


def test_an_embedded_provider_gets_minutes_for_a_local_draft_unless_told_otherwise() -> None:
    embedded = ProviderConfig(name="local", kind="embedded", model="m")
    remote = ProviderConfig(name="cloud", kind="openai_compatible", model="m", endpoint="http://127.0.0.1:1/v1")
    assert embedded.timeouts == EMBEDDED_TIMEOUTS and embedded.timeouts.total >= 300
    assert remote.timeouts == Timeouts() and remote.timeouts.total == 60
    # configured timeouts always win, and the shared default is never mutated through one provider
    told = ProviderConfig(name="local", kind="embedded", model="m", timeouts={"total": 30})
    assert told.timeouts.total == 30
    embedded.timeouts.total = 1
    assert ProviderConfig(name="other", kind="embedded", model="m").timeouts.total == EMBEDDED_TIMEOUTS.total
