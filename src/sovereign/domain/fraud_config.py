"""Fraud-scoring configuration: weights per signal, bands, hold threshold, limits.

Scores are on a 0-100 scale: each signal that fires adds its weight, the sum is
clamped to 100, and an order at or above ``threshold`` is put on hold (never
cancelled). Defaults (see ``docs/fraud.md`` for the reasoning):

=====================  ======  =====================================================
signal                 weight  fires when
=====================  ======  =====================================================
first_order              10    no earlier order with this email
country_mismatch         30    billing country differs from shipping country
ip_country_mismatch      20    IP country (offline iptocc data) differs from billing
phone_country_mismatch   15    international phone prefix differs from billing
disposable_email         50    email domain is a throwaway-mailbox service
free_email                5    webmail domain, only with ``free_email_policy="flag"``
unsafe_country           30    billing, shipping or IP country in ``unsafe_countries``
high_total               30    total >= ``absolute_total_bound`` (1000)
above_average            15    total > ``average_multiplier`` (5) x store average
large_quantity           15    one line has quantity >= ``large_quantity`` (20)
probe_order              15    0 < total <= ``probe_total`` (5.00), card-testing probe
email_velocity           20    > ``email_velocity_limit`` (1) orders from email in window
ip_velocity              15    > ``ip_velocity_limit`` (2) orders from IP in window
card_testing             40    >= ``card_testing_identities`` (3) identities on one IP
shared_address           20    address used on earlier orders under another email
linked_to_held           40    email, IP, phone or address of an order put on hold
=====================  ======  =====================================================

Threshold 70; bands low 0-39, medium 40-69, high 70-100; velocity window 1 hour.

A store overrides any of this with ``FraudConfig.merged({...})``; product
categories override the threshold, weights and bounds with ``categories``
(``FraudConfig.for_categories`` applies the strictest override present).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, Iterable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .money import PriceFormat

__all__ = ["Band", "CategoryOverride", "FraudConfig", "Weights", "SIGNALS"]

class Weights(BaseModel):
    """Points each signal adds to the score (0 turns a signal off)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_order: int = Field(10, ge=0, le=100)
    country_mismatch: int = Field(30, ge=0, le=100)
    ip_country_mismatch: int = Field(20, ge=0, le=100)
    phone_country_mismatch: int = Field(15, ge=0, le=100)
    disposable_email: int = Field(50, ge=0, le=100)
    free_email: int = Field(5, ge=0, le=100)
    unsafe_country: int = Field(30, ge=0, le=100)
    high_total: int = Field(30, ge=0, le=100)
    above_average: int = Field(15, ge=0, le=100)
    large_quantity: int = Field(15, ge=0, le=100)
    probe_order: int = Field(15, ge=0, le=100)
    email_velocity: int = Field(20, ge=0, le=100)
    ip_velocity: int = Field(15, ge=0, le=100)
    card_testing: int = Field(40, ge=0, le=100)
    shared_address: int = Field(20, ge=0, le=100)
    linked_to_held: int = Field(40, ge=0, le=100)


SIGNALS: tuple[str, ...] = tuple(Weights.model_fields)


class Band(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    min_score: int = Field(ge=0, le=100)


class CategoryOverride(BaseModel):
    """What one product category changes; unset fields keep the store's value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: int | None = Field(None, ge=1, le=100)
    weights: dict[str, int] = Field(default_factory=dict)
    absolute_total_bound: Decimal | None = Field(None, gt=0)
    large_quantity: int | None = Field(None, ge=1)

    @field_validator("weights")
    @classmethod
    def _known_signals(cls, v: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(v) - set(SIGNALS))
        if unknown:
            raise ValueError(f"unknown fraud signals: {', '.join(unknown)}")
        if any(not 0 <= w <= 100 for w in v.values()):
            raise ValueError("weights must be between 0 and 100")
        return v


_DEFAULT_BANDS = (Band(name="low", min_score=0), Band(name="medium", min_score=40), Band(name="high", min_score=70))


class FraudConfig(BaseModel):
    """One store's fraud settings. Immutable; derive variants with ``merged`` / ``for_categories``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: int = Field(70, ge=1, le=100)
    weights: Weights = Field(default_factory=Weights)
    bands: tuple[Band, ...] = _DEFAULT_BANDS
    absolute_total_bound: Decimal = Field(Decimal("1000"), gt=0)
    average_multiplier: Decimal = Field(Decimal("5"), gt=1)
    average_min_orders: int = Field(5, ge=1)
    large_quantity: int = Field(20, ge=1)
    probe_total: Decimal = Field(Decimal("5.00"), ge=0)
    velocity_window: timedelta = timedelta(hours=1)
    email_velocity_limit: int = Field(1, ge=1)
    ip_velocity_limit: int = Field(2, ge=1)
    card_testing_identities: int = Field(3, ge=2)
    link_lookback: timedelta = timedelta(days=90)
    unsafe_countries: frozenset[str] = frozenset()
    free_email_policy: Literal["ignore", "flag"] = "ignore"
    action: Literal["hold", "monitor"] = "hold"  # "monitor": score and record, never hold
    # The AI review may raise the rules' score by at most this much, and is only asked when that
    # could change the decision (rules score in [threshold - llm_max_raise, threshold)). A small
    # local model that over-reacts can then never hold a clean order on its own.
    llm_max_raise: int = Field(25, ge=0, le=100)
    llm_review: Literal["when_useful", "always"] = "when_useful"
    # The bands (by the rules' score) whose orders may be reviewed at all; None: every band. ``[]`` turns the
    # review off for the store, ``["medium"]`` keeps it where bench/fraud.py measured that it helps.
    llm_review_bands: tuple[str, ...] | None = None
    note_reasons: int = Field(10, ge=1, le=50)
    categories: dict[int, CategoryOverride] = Field(default_factory=dict)
    # How amounts are written in reasons and notes: the store's own format (read from WooCommerce,
    # set by ``with_price_format``), not a setting of the fraud config.
    price_format: PriceFormat = Field(default_factory=PriceFormat, exclude=True)

    @field_validator("unsafe_countries", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return frozenset(str(c).strip().upper() for c in v) if isinstance(v, (list, tuple, set, frozenset)) else v

    @model_validator(mode="after")
    def _check_bands(self) -> "FraudConfig":
        mins = [b.min_score for b in self.bands]
        if not mins or mins[0] != 0 or mins != sorted(set(mins)):
            raise ValueError("bands must start at 0 and have strictly increasing min_score")
        unknown = sorted(set(self.llm_review_bands or ()) - {b.name for b in self.bands})
        if unknown:
            raise ValueError(f"llm_review_bands names unknown bands: {', '.join(unknown)}")
        return self

    def band_for(self, score: int) -> str:
        return band_for(self.bands, score)

    def llm_review_useful(self, rules_score: int) -> bool:
        """Whether to ask the AI review: never outside ``llm_review_bands``; then always, or only when it
        could change the hold decision."""
        if self.llm_review_bands is not None and self.band_for(rules_score) not in self.llm_review_bands:
            return False
        if self.llm_review == "always":
            return True
        return self.threshold - self.llm_max_raise <= rules_score < self.threshold

    def merged(self, overrides: Mapping[str, Any]) -> "FraudConfig":
        """This config with ``overrides`` deep-merged in (store settings over defaults), re-validated."""
        if "price_format" in overrides:
            raise ValueError("price_format comes from the store's settings, not from the fraud config")
        merged = FraudConfig.model_validate(_deep_merge(self.model_dump(), dict(overrides)))
        return merged.with_price_format(self.price_format)

    def with_price_format(self, fmt: PriceFormat) -> "FraudConfig":
        """This config writing amounts the store's way."""
        return self.model_copy(update={"price_format": fmt})

    def for_categories(self, category_ids: Iterable[int]) -> "FraudConfig":
        """The effective config for an order holding products in ``category_ids``.

        A category's weight replaces the store's weight for that signal (it may
        lower it: bulk buying is normal for some products). When several
        overridden categories are present the strictest value wins: the lowest
        threshold and bounds, the highest weight per signal.
        """
        present = [self.categories[c] for c in sorted(set(category_ids)) if c in self.categories]
        if not present:
            return self
        thresholds = [o.threshold for o in present if o.threshold is not None]
        bounds = [o.absolute_total_bound for o in present if o.absolute_total_bound is not None]
        quantities = [o.large_quantity for o in present if o.large_quantity is not None]
        weights = self.weights.model_dump()
        overridden: dict[str, int] = {}
        for override in present:
            for name, w in override.weights.items():
                overridden[name] = max(overridden.get(name, 0), w)
        weights.update(overridden)
        return self.model_copy(
            update={
                "threshold": min(thresholds) if thresholds else self.threshold,
                "absolute_total_bound": min(bounds) if bounds else self.absolute_total_bound,
                "large_quantity": min(quantities) if quantities else self.large_quantity,
                "weights": Weights(**weights),
            }
        )


def band_for(bands: Iterable[Band], score: int) -> str:
    name = ""
    for band in bands:
        if score >= band.min_score:
            name = band.name
    return name


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and key != "categories":
            out[key] = _deep_merge(out[key], dict(value))
        else:
            out[key] = value
    return out
