"""Providers are configuration, not code: the typed shape of one provider entry.

Loaded from the TOML settings file (``[[providers]]`` tables) or the
``SOVEREIGN_PROVIDERS`` env var (a JSON list). See docs/configuration.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

ProviderKind = Literal["embedded", "openai_compatible", "anthropic"]


class Timeouts(BaseModel):
    """LLM-shaped timeouts: connecting is quick, the first token can be slow, a whole answer slower."""

    connect: float = 3.0
    first_token: float = 20.0
    total: float = 60.0


# An in-process model cannot hang like a remote one (the deadline cancels its generation), but on a
# small CPU a 1.5B model writes ~10 tokens/s: a 400-token draft needs more than a remote API's minute.
EMBEDDED_TIMEOUTS = Timeouts(connect=0.0, first_token=120.0, total=300.0)


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
    # what the model accepts (``/v1/models`` reports it; requests needing more are not sent here)
    tools: bool = True  # function calling
    vision: bool = False  # image parts in user messages
    context_length: int | None = None  # tokens; embedded: n_ctx
    # embedded only: a model id from the catalogue (`sovereign models list`) or a GGUF path
    model_path: str | None = None
    n_ctx: int = 4096
    n_threads: int | None = None
    # admission (bulkhead): calls in flight and waiting on this provider; None: AdmissionSettings' default
    max_concurrency: int | None = None
    max_queue: int | None = None

    @model_validator(mode="after")
    def _embedded_timeouts(self) -> "ProviderConfig":
        """Embedded providers default to ``EMBEDDED_TIMEOUTS`` unless timeouts are configured."""
        if self.kind == "embedded" and "timeouts" not in self.model_fields_set:
            self.timeouts = EMBEDDED_TIMEOUTS.model_copy()
        return self

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


class AdmissionSettings(BaseModel):
    """Bounded concurrency per provider, a bounded wait queue, and capacity /v1 traffic cannot take.

    Each call has a lane: ``interactive`` (checkout fraud review, shopper answers), ``background``
    (jobs) or ``api`` (``/v1``). ``api`` calls use at most ``1 - reserved_share`` of a provider's
    slots and of its queue; beyond that, or past ``queue_timeout_s`` waiting, the call is refused
    at once (``GatewayError(reason="overloaded")``, HTTP 429 with ``Retry-After``). Waiters are
    served interactive first, then background, then api. ``per_key_concurrency`` bounds the calls
    one API key has in flight (0: no bound).
    """

    max_concurrency: int = 16  # per provider (the embedded model: ``embedded_concurrency``)
    embedded_concurrency: int = 2  # the local model runs one generation at a time; 2 keeps it busy
    max_queue: int = 32
    reserved_share: float = Field(default=0.25, ge=0.0, le=1.0)
    queue_timeout_s: float = 10.0
    per_key_concurrency: int = 4


class GatewaySettings(BaseModel):
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    degraded: DegradedSettings = Field(default_factory=DegradedSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    # data class -> rule; "public" goes anywhere raw unless listed, every other unlisted class stays local
    residency: dict[str, ResidencyRule] = Field(default_factory=dict)
    embeddings: EmbeddingSettings | None = None
    admission: AdmissionSettings = Field(default_factory=AdmissionSettings)
