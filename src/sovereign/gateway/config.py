"""Providers are configuration, not code: the typed shape of one provider entry.

Loaded from the TOML settings file (``[[providers]]`` tables) or the
``SOVEREIGN_PROVIDERS`` env var (a JSON list). See docs/configuration.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

ProviderKind = Literal["embedded", "openai_compatible", "anthropic"]


class Timeouts(BaseModel):
    """LLM-shaped timeouts: connecting is quick, the first token can be slow, a whole answer slower."""

    connect: float = 3.0
    first_token: float = 20.0
    total: float = 60.0


class RateLimits(BaseModel):
    """Our own throttle, applied before the provider's (0 = unlimited)."""

    requests_per_minute: int = 0
    tokens_per_minute: int = 0


class Pricing(BaseModel):
    """Price per 1,000 tokens, in the operator's currency (0 for local)."""

    input_per_1k: float = 0.0
    output_per_1k: float = 0.0


class ProviderConfig(BaseModel):
    name: str
    kind: ProviderKind
    model: str
    model_version: str = "unpinned"
    endpoint: str | None = None  # base URL for HTTP kinds, e.g. http://127.0.0.1:11434/v1
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None  # read the key from this env var instead of config
    jurisdiction: str = "local"  # "local", "EU-DE", "US", ...
    data_classes: list[str] = Field(default_factory=lambda: ["public"])
    priority: int = 100  # lower runs first
    timeouts: Timeouts = Field(default_factory=Timeouts)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    pricing: Pricing = Field(default_factory=Pricing)
    max_retries: int = 2
    enabled: bool = True
    vision: bool = False  # the model reads images (OpenAI content parts); only such providers get image requests
    # embedded only: a model id from the catalogue (`sovereign models list`) or a GGUF path
    model_path: str | None = None
    n_ctx: int = 4096
    n_threads: int | None = None

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c in "-_." for c in v):
            raise ValueError("provider name must be letters, digits, '-', '_' or '.'")
        return v

    @property
    def is_local(self) -> bool:
        return self.jurisdiction == "local"


class BreakerSettings(BaseModel):
    """When a provider's circuit opens, and how long it stays open before one probe call."""

    consecutive_failures: int = 5  # open after this many failures in a row
    failure_rate: float = 0.5  # ... or when this share of calls in the window failed
    window_s: float = 30.0
    min_calls: int = 10  # the rate rule needs at least this many calls in the window
    cooldown_s: float = 15.0  # open -> half-open after this long


class RetrySettings(BaseModel):
    """Full-jitter exponential backoff between tries on one provider."""

    base_s: float = 0.1
    cap_s: float = 2.0


class DegradedSettings(BaseModel):
    """Per-feature availability of the LLM path; below the SLO the feature runs on its rules."""

    slo: float = 0.995
    slo_per_feature: dict[str, float] = Field(default_factory=dict)
    window_s: float = 300.0
    min_samples: int = 20
    trial_interval_s: float = 30.0  # while degraded, let one trial call through this often


class CacheSettings(BaseModel):
    """Which answers may be served from the response cache."""

    data_classes: list[str] = Field(default_factory=lambda: ["public"])
    ttl_s: float = 24 * 3600.0


class ResidencyRule(BaseModel):
    """Which jurisdictions may receive one data class: as is (``raw``) or only redacted.

    Entries are jurisdiction names (``"EU-DE"``), prefixes (``"EU-*"``) or ``"*"``
    (any). ``local`` always receives raw data; ``hr_personal`` never leaves it.
    """

    raw: list[str] = Field(default_factory=list)
    redacted: list[str] = Field(default_factory=list)


class EmbeddingSettings(BaseModel):
    """The embedding model behind ``POST /v1/embeddings``: an OpenAI-compatible provider's ``/embeddings``."""

    provider: str  # a configured provider's name (its endpoint, key and jurisdiction are used)
    model: str


class GatewaySettings(BaseModel):
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    degraded: DegradedSettings = Field(default_factory=DegradedSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    # data class -> rule; "public" goes anywhere raw unless listed, every other unlisted class stays local
    residency: dict[str, ResidencyRule] = Field(default_factory=dict)
    embeddings: EmbeddingSettings | None = None
