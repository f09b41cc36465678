"""One provider as the router sees it: its adapter plus breaker, throttle, latencies and probe state."""

from __future__ import annotations

import time
from typing import Any

from .admission import Bulkhead
from .breaker import OPEN, CircuitBreaker
from .config import ProviderConfig
from .latency import LatencyWindow
from .ratelimit import RateLimiter
from .types import Provider


class Route:
    __slots__ = ("name", "config", "provider", "breaker", "limiter", "latency", "native_json", "healthy", "probed_at",
                 "bulkhead")

    def __init__(
        self, config: ProviderConfig, provider: Provider, breaker: CircuitBreaker, limiter: RateLimiter,
        bulkhead: Bulkhead | None = None,
    ) -> None:
        self.name = config.name
        self.config = config
        self.provider = provider
        self.breaker = breaker
        self.limiter = limiter
        self.latency = LatencyWindow()
        self.native_json: bool = bool(getattr(provider, "supports_structured_output", False))
        self.healthy: bool | None = None  # last health probe, None before the first
        self.probed_at: float | None = None
        self.bulkhead = bulkhead or Bulkhead(config.name, 1 << 30, 0, 0.0)

    @property
    def model_version(self) -> str:
        """The provider's own idea (e.g. the embedded model's file hash) or the configured one."""
        return getattr(self.provider, "model_version", None) or self.config.model_version

    @property
    def is_open(self) -> bool:
        return self.breaker.state == OPEN

    def health(self, model_version: str) -> dict[str, Any]:
        b = self.breaker.stats()
        ok, failed = int(b["window_ok"]), int(b["window_failed"])  # type: ignore[call-overload]
        return {
            "kind": self.config.kind,
            "jurisdiction": self.config.jurisdiction,
            "model": self.config.model,
            "model_version": model_version,
            "breaker": b["state"],
            "availability": None if ok + failed == 0 else round(ok / (ok + failed), 5),
            "latency_p50_ms": self.latency.percentile(50),
            "latency_p99_ms": self.latency.percentile(99),
            "samples": len(self.latency),
            "rate_limit_headroom": self.limiter.headroom(),
            "admission": self.bulkhead.stats(),
            "healthy": self.healthy,
            "probed_s_ago": None if self.probed_at is None else round(time.monotonic() - self.probed_at, 1),
        }
