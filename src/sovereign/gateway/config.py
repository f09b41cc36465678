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
