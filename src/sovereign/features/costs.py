"""Costs: the usage read from the audit log (``store.usage``) priced with the providers' config."""

from __future__ import annotations

from sovereign.domain.costs import Price
from sovereign.gateway.config import ProviderConfig


def prices(configs: list[ProviderConfig]) -> dict[str, Price]:
    """Current prices per provider name (the log keeps tokens; prices come from today's config)."""
    return {c.name: Price(c.pricing.input_per_1k, c.pricing.output_per_1k) for c in configs}
