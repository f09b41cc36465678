"""The service configuration a drill runs: two providers, drill-sized gateway windows, fast takeovers. Pure.

The cloud provider (jurisdiction ``US``) comes first in priority and may
receive ``customer_personal`` data only redacted (``gateway.residency``);
the local provider is the fallback and gets raw data. So every fraud review
that reaches the cloud crosses a border, in redacted form: the harshest
setup for residency, and the one the drill measures.

Windows are shortened so that a drill of a minute shows detection,
degradation and recovery: breaker cool-down 3 s, degraded-mode window 10 s
with 5 samples, a trial call every second, health probes every second, and
a 3 s worker heartbeat timeout. Everything else is the product's default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sovereign.gateway.config import (
    BreakerSettings,
    DegradedSettings,
    GatewaySettings,
    ProviderConfig,
    ResidencyRule,
    RetrySettings,
    Timeouts,
)

from .scenarios import CLOUD, LOCAL

__all__ = ["CLOUD_JURISDICTION", "FRAUD_ANSWER", "ServiceConfig", "STORE_SETTINGS"]

CLOUD_JURISDICTION = "US"
# What both fake providers answer: a valid fraud review (low risk, so the rules decide holds).
FRAUD_ANSWER = json.dumps({"risk": 10, "reasons": ["Nothing unusual beyond the rule findings."]})
# The drill's store: every order gets the AI review (so the LLM path is exercised), re-scores start soon.
STORE_SETTINGS = {"fraud": {"llm_review": "always"}, "fraud_rescore_delay_s": 2}


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    database_url: str
    port: int
    cloud_url: str  # the cloud fake's OpenAI base URL (…/v1)
    local_url: str
    data_dir: str

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def providers(self) -> list[ProviderConfig]:
        cloud = ProviderConfig(
            name=CLOUD, kind="openai_compatible", endpoint=self.cloud_url, model="cloud-model",
            model_version="cloud-model-2026-11", api_key="sk-drill-not-a-secret", jurisdiction=CLOUD_JURISDICTION,
            data_classes=["public", "customer_personal"], priority=10, max_retries=1,
            timeouts=Timeouts(connect=1.0, first_token=1.5, total=2.5),
        )
        local = ProviderConfig(
            name=LOCAL, kind="openai_compatible", endpoint=self.local_url, model="local-model",
            model_version="local-model-q4", jurisdiction="local",
            data_classes=["public", "customer_personal", "hr_personal"], priority=20, max_retries=1,
            timeouts=Timeouts(connect=1.0, first_token=5.0, total=8.0),
        )
        return [cloud, local]

    def gateway(self) -> GatewaySettings:
        return GatewaySettings(
            breaker=BreakerSettings(consecutive_failures=3, failure_rate=0.5, window_s=10.0, min_calls=6, cooldown_s=3.0),
            retry=RetrySettings(base_s=0.05, cap_s=0.5),
            degraded=DegradedSettings(window_s=10.0, min_samples=5, trial_interval_s=1.0),
            residency={"customer_personal": ResidencyRule(raw=["local"], redacted=[CLOUD_JURISDICTION])},
        )

    def env(self) -> dict[str, str]:
        """``SOVEREIGN_*`` variables for `sovereign serve` and `sovereign worker`."""
        providers = [p.model_dump(mode="json", exclude_none=True) for p in self.providers()]
        return {
            "SOVEREIGN_DATABASE_URL": self.database_url,
            "SOVEREIGN_DATA_DIR": self.data_dir,
            "SOVEREIGN_HOST": "127.0.0.1",
            "SOVEREIGN_PORT": str(self.port),
            "SOVEREIGN_PUBLIC_URL": self.public_url,
            "SOVEREIGN_EMBEDDED_MODEL": "none",
            "SOVEREIGN_PROVIDERS": json.dumps(providers),
            "SOVEREIGN_GATEWAY": self.gateway().model_dump_json(),
            "SOVEREIGN_PROBE_INTERVAL_S": "1",
            "SOVEREIGN_HEARTBEAT_TIMEOUT_S": "3",
            "SOVEREIGN_DEQUEUE_POLL_S": "1",
            "SOVEREIGN_SHUTDOWN_GRACE_S": "3",
            "SOVEREIGN_DB_POOL_MAX": "20",
            "SOVEREIGN_LOG_LEVEL": "WARNING",
            "SOVEREIGN_LOG_JSON": "true",
        }
