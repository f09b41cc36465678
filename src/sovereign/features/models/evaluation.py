"""A candidate model on the features' own tasks: descriptions for a fixed, real product set.

The set (``eval_products.json``, shipped with the package) holds the products of a
real WooCommerce 10 store and 24 products of a real online giftware retailer
(names as the retailer wrote them, UCI "Online Retail", CC BY 4.0), descriptions
removed. Each is described through the real gateway in grounded mode; the
drafts are judged by ``claim_check``, which is not the generator's own check.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from typing import Any, Sequence

from sovereign.domain.descriptions import facts
from sovereign.domain.products import Product
from sovereign.features.descriptions.describe import Describer
from sovereign.features.models import claim_check

__all__ = ["EvalReport", "eval_products", "evaluate_descriptions"]


@dataclass(frozen=True)
class EvalReport:
    products: int
    model_drafts: int
    model_draft_rate: float
    unsupported_claim_rate: float  # model drafts with a claim the facts do not support
    latency_p95_s: float
    fallback_reasons: dict[str, int] = field(default_factory=dict)
    model: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def eval_products(limit: int | None = None) -> list[Product]:
    raw = json.loads((files("sovereign.features.models") / "eval_products.json").read_text(encoding="utf-8"))
    products = [Product.from_rest(p, currency="GBP" if p["set"] == "giftware_retailer" else "USD") for p in raw]
    return products[:limit] if limit else products


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3) if ordered else 0.0


async def evaluate_descriptions(describer: Describer, products: Sequence[Product], *, progress: Any = None) -> EvalReport:
    drafts = flagged = 0
    reasons: Counter[str] = Counter()
    latencies: list[float] = []
    model = ""
    for product in products:
        started = time.perf_counter()
        d = await describer.describe(product)
        latencies.append(time.perf_counter() - started)
        model = model or (d.model or "")
        if d.source == "llm":
            drafts += 1
            flagged += bool(claim_check.unsupported(d.text, facts(product).texts()))
        else:
            reasons[(d.reason or "none").split(" (")[0].split(":")[0]] += 1
        if progress is not None:
            progress()
    n = max(len(products), 1)
    return EvalReport(
        products=len(products), model_drafts=drafts, model_draft_rate=round(drafts / n, 3),
        unsupported_claim_rate=round(flagged / drafts, 3) if drafts else 0.0, latency_p95_s=_p95(latencies),
        fallback_reasons=dict(reasons.most_common()), model=model,
    )
