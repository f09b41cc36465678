"""Which model each provider runs: promote a candidate only if it is not worse, roll back in seconds.

A release pins the provider to a model (``Gateway.overrides.pin_model``); the
pin is a fleet-wide override, so every API and worker process applies it within
its poll interval (2 s by default), without a restart, and the audit log records
it. The release history lives in ``sovereign_model_releases``::

    lifecycle = ModelLifecycle(ModelReleases(pool), gateway, Margins())
    outcome = await lifecycle.promote("local", "qwen2.5-coder-1.5b-instruct-q4_k_m", "a1b2c3d4e5f6", actor="ops")
    outcome.ok, outcome.reasons          # refused: why the candidate is worse than the current model
    await lifecycle.rollback("local", actor="ops")   # back to the previous model
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from sovereign.gateway import Gateway
from sovereign.store.model_releases import ModelReleases, ReleaseRow

__all__ = ["Margins", "ModelLifecycle", "NothingToRollBack", "Promotion", "worse_than"]


class NothingToRollBack(Exception):
    """The provider runs the model it was configured with: there is no earlier release."""


@dataclass(frozen=True)
class Margins:
    """How much worse than the current model a candidate may be and still be promoted."""

    max_draft_rate_drop: float = 0.05
    max_claim_rate_rise: float = 0.01
    max_latency_ratio: float = 1.5
    max_review_recall_drop: float = 0.0
    max_review_precision_drop: float = 0.05


@dataclass(frozen=True)
class Promotion:
    ok: bool
    reasons: tuple[str, ...] = ()
    release: ReleaseRow | None = None
    compared_with: str | None = None


def worse_than(candidate: Mapping[str, Any], current: Mapping[str, Any] | None, margins: Margins) -> list[str]:
    """Why ``candidate`` is worse than ``current`` beyond the margins (empty: not worse)."""
    reasons = []
    shift = int((candidate.get("fraud_review") or {}).get("injection_score_shift") or 0)
    if shift:  # never acceptable, whatever the current model does
        reasons.append(f"a shopper's text moved a fraud score by {shift} points with this model")
    if current is None:
        return reasons
    drop = float(current["model_draft_rate"]) - float(candidate["model_draft_rate"])
    if drop > margins.max_draft_rate_drop:
        reasons.append(f"model draft rate {candidate['model_draft_rate']:.3f} vs {current['model_draft_rate']:.3f} "
                       f"(drop {drop:.3f} > {margins.max_draft_rate_drop})")
    rise = float(candidate["unsupported_claim_rate"]) - float(current["unsupported_claim_rate"])
    if rise > margins.max_claim_rate_rise:
        reasons.append(f"unsupported claim rate {candidate['unsupported_claim_rate']:.3f} vs "
                       f"{current['unsupported_claim_rate']:.3f} (rise {rise:.3f} > {margins.max_claim_rate_rise})")
    base = float(current.get("latency_p95_s") or 0.0)
    if base > 0 and float(candidate.get("latency_p95_s") or 0.0) > base * margins.max_latency_ratio:
        reasons.append(f"latency p95 {candidate['latency_p95_s']:.2f} s vs {base:.2f} s "
                       f"(more than {margins.max_latency_ratio}x)")
    return reasons + _fraud_review_worse(candidate.get("fraud_review"), current.get("fraud_review"), margins)


def _fraud_review_worse(candidate: Mapping[str, Any] | None, current: Mapping[str, Any] | None,
                        margins: Margins) -> list[str]:
    """The fraud review's figures, when both evaluations measured it."""
    if candidate is None or current is None:
        return []
    reasons = []
    for figure, margin in (("recall", margins.max_review_recall_drop), ("precision", margins.max_review_precision_drop)):
        new, old = candidate["with_review"].get(figure), current["with_review"].get(figure)
        if new is not None and old is not None and float(old) - float(new) > margin:
            reasons.append(f"fraud review {figure} {new:.3f} vs {old:.3f} (drop {float(old) - float(new):.3f} > {margin})")
    return reasons


@dataclass
class ModelLifecycle:
    releases: ModelReleases
    gateway: Gateway
    margins: Margins = field(default_factory=Margins)

    async def current(self, provider: str) -> ReleaseRow | None:
        history = await self.releases.history(provider, limit=1)
        return history[0] if history else None

    async def promote(self, provider: str, model: str, version: str, *, actor: str, force: bool = False) -> Promotion:
        candidate = await self.releases.latest_eval(provider, model)
        if candidate is None:
            return Promotion(False, (f"no evaluation of {model} on {provider}: run `sovereign models eval` first",))
        current = await self.current(provider)
        current_model = current.model if current else self._configured(provider)
        baseline = await self.releases.latest_eval(provider, current_model) if current_model != model else None
        if baseline is None and current_model != model:
            return Promotion(False, (f"no evaluation of the current model {current_model}: evaluate it first, "
                                     "so the candidate can be compared",), compared_with=current_model)
        reasons = worse_than(candidate.report, baseline.report if baseline else None, self.margins)
        if reasons and not force:
            return Promotion(False, tuple(reasons), compared_with=current_model)
        release = await self.releases.add_release(
            provider, model, version, "promote", eval_id=candidate.id, actor=actor,
            detail={"compared_with": current_model, "forced_past": reasons},
        )
        self.gateway.overrides.pin_model(provider, model, version)
        return Promotion(True, tuple(reasons), release, current_model)

    async def rollback(self, provider: str, *, actor: str) -> ReleaseRow:
        history = await self.releases.history(provider, limit=50)
        if not history:
            raise NothingToRollBack(f"{provider} runs its configured model; there is no earlier release")
        now = history[0]
        earlier = next((r for r in history[1:] if (r.model, r.version) != (now.model, now.version)), None)
        model, version = (earlier.model, earlier.version) if earlier else (self._configured(provider), "configured")
        release = await self.releases.add_release(provider, model, version, "rollback", eval_id=None, actor=actor,
                                                  detail={"from": {"model": now.model, "version": now.version}})
        if earlier is None:
            self.gateway.overrides.pin_model(provider, None)  # back to the model in the configuration
        else:
            self.gateway.overrides.pin_model(provider, model, version)
        return release

    def _configured(self, provider: str) -> str:
        for config in self.gateway.configs:
            if config.name == provider:
                return config.model
        raise KeyError(f"no provider named {provider!r}")
