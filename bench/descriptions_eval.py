"""Description quality on real products: the template and each installed catalogue model, side by side.

Products, with their descriptions removed (what the feature is asked to fill):

* WooCommerce's own sample catalogue (``sample_products.csv``) and the products of the
  captured WooCommerce 10.0.2 store (both shipped in ``sovereign_testkit``);
* 300 products of a real online giftware retailer (``bench/data/online-retail-2011h1-products.csv.gz``):
  the name the retailer wrote and a price, nothing else, as a merchant's import often is.

Drafts are generated through the real gateway (``Describer``, grounded mode as the feature runs it) with
the embedded model. Figures per model:

* ``model_draft_rate``: drafts that came from the model, not the template;
* ``unsupported_claim_rate``: model drafts with at least one claim (material, size or measure, use or
  occasion, kind of thing, quantity, feature) that the product's facts do not support, judged by
  ``sovereign.features.models.claim_check``, a checker that is not the generator's;
* ``fallback_reasons``; ``seconds_per_draft``; a few examples.

As the feature does, each product is shown up to ``--style-examples`` descriptions of its own set
(same category, nearest by MiniLM, personal data removed, never its own) for style; the originals
of WooCommerce's sample catalogue are Lorem-ipsum filler and are not used, so in practice only the
captured store's real prose is (``style_pool``, ``drafts_with_style_examples``).

    python bench/descriptions_eval.py [--models 0.5b,1.5b] [--limit N] [--giftware 300]

Prints one JSON object. A model that is not installed is reported as skipped.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import csv
import gzip
import io
import json
import logging
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from sovereign.domain.descriptions import facts
from sovereign.domain.products import Product
from sovereign.domain.style_examples import StyleCandidate
from sovereign.embeddings import local_embedder
from sovereign.features.descriptions.describe import Describer
from sovereign.features.descriptions.style import StyleExamples
from sovereign.features.models import claim_check
from sovereign.gateway import Gateway, ProviderConfig
from sovereign.models import default_models_dir
from sovereign.models.catalogue import CATALOGUE
from sovereign_testkit.fixtures import fixtures_dir, load_json

HERE = Path(__file__).resolve().parent

MODELS = {"0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m", "1.5b": "qwen2.5-coder-1.5b-instruct-q4_k_m"}
log = logging.getLogger("bench.descriptions_eval")


def products(giftware: int) -> tuple[list[tuple[str, Product]], dict[str, list[Product]]]:
    """The products to describe (descriptions removed), and per set the originals (the style pool)."""
    out: list[tuple[str, Product]] = []
    originals: dict[str, list[Product]] = {"woocommerce_sample": [], "captured_store": []}
    rows = csv.DictReader(io.StringIO((fixtures_dir() / "sample_products.csv").read_text(encoding="utf-8-sig")))
    for row in rows:
        if row.get("Type") == "variation":
            continue
        originals["woocommerce_sample"].append(Product.from_csv_row(row, currency="USD"))
        out.append(("woocommerce_sample", Product.from_csv_row({**row, "Description": ""}, currency="USD")))
    for raw in load_json("products.json"):
        if raw.get("type") == "variation":
            continue
        originals["captured_store"].append(Product.from_rest(raw, currency="USD"))
        out.append(("captured_store", Product.from_rest({**raw, "description": ""}, currency="USD")))
    with gzip.open(HERE / "data" / "online-retail-2011h1-products.csv.gz", "rt", encoding="utf-8") as fh:
        retail = sorted(csv.DictReader(fh), key=lambda r: r["item_id"])
    step = max(1, len(retail) // max(giftware, 1))
    for i, row in enumerate(retail[::step][:giftware]):
        raw = {"id": 100_000 + i, "name": row["name"], "type": "simple", "regular_price": row["median_unit_price_gbp"],
               "description": "", "short_description": "", "categories": [], "attributes": []}
        out.append(("giftware_retailer", Product.from_rest(raw, currency="GBP")))
    return out, originals


def fact_texts(p: Product) -> list[str]:
    return facts(p).texts()


def gateway_for(model_id: str, models_dir: Path) -> Gateway | None:
    spec = CATALOGUE[model_id]
    path = models_dir / spec.file_name
    if not path.exists():
        return None
    config = ProviderConfig(name="local", kind="embedded", model=str(path), model_path=str(path),
                            jurisdiction="local", data_classes=["public"], priority=10, max_retries=0)
    return Gateway([config], models_dir=models_dir)


async def style_pools(originals: dict[str, list[Product]]) -> tuple[StyleExamples, dict[str, list[StyleCandidate]]]:
    """Each set's own descriptions worth imitating (as the feature reads a store's); never a product's own."""
    style = StyleExamples(embedder=local_embedder)
    return style, {origin: await style.prepare(items) for origin, items in originals.items()}


async def evaluate(name: str, describer: Describer, items: list[tuple[str, Product]],
                   style: tuple[StyleExamples, dict[str, list[StyleCandidate]]] | None = None,
                   k: int = 2) -> dict[str, Any]:
    sources: Counter[str] = Counter()
    with_examples = 0
    reasons: Counter[str] = Counter()
    by_set: dict[str, Counter[str]] = {}
    flagged = claims_total = unsupported_total = template_flagged = 0
    flagged_examples: list[dict[str, Any]] = []
    started = time.perf_counter()
    for origin, product in items:
        examples: list[str] = []
        if style is not None and describer.gateway is not None:
            examples = await style[0].pick(product, style[1].get(origin, []), k=k)
            with_examples += bool(examples)
        d = await describer.describe(product, examples=examples)
        sources[d.source] += 1
        by_set.setdefault(origin, Counter())[d.source] += 1
        if d.source == "template":
            reasons[(d.reason or "").split(" (")[0].split(":")[0] or "none"] += 1
            template_flagged += bool(claim_check.unsupported(d.text, fact_texts(product)))
            continue
        found = claim_check.claims(d.text)
        missing = claim_check.unsupported(d.text, fact_texts(product))
        claims_total += len(found)
        unsupported_total += len(missing)
        if missing:
            flagged += 1
            if len(flagged_examples) < 6:
                flagged_examples.append({"product": product.name, "text": d.text, "unsupported": [m.term for m in missing]})
    seconds = time.perf_counter() - started
    drafts = sources["llm"]
    return {
        "model": name,
        "products": len(items),
        "model_drafts": drafts,
        "model_draft_rate": round(drafts / len(items), 3),
        "unsupported_claim_rate": round(flagged / drafts, 3) if drafts else 0.0,
        "template_texts_with_unsupported_claims": template_flagged,
        "claims_checked": claims_total,
        "unsupported_claims": unsupported_total,
        "fallback_reasons": dict(reasons.most_common()),
        "model_draft_rate_by_set": {k: round(v["llm"] / sum(v.values()), 3) for k, v in sorted(by_set.items())},
        "seconds_per_draft": round(seconds / len(items), 3),
        "drafts_with_style_examples": with_examples,
        "flagged_examples": flagged_examples,
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="0.5b,1.5b")
    ap.add_argument("--giftware", type=int, default=300)
    ap.add_argument("--limit", type=int, default=0, help="at most N products per set (0: all)")
    ap.add_argument("--max-tokens", type=int, default=400)
    ap.add_argument("--style-examples", type=int, default=2, help="few-shot examples per product from its set (0: none)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    items, originals = products(args.giftware)
    if args.limit:
        seen: Counter[str] = Counter()
        kept = []
        for origin, p in items:
            if seen[origin] < args.limit:
                seen[origin] += 1
                kept.append((origin, p))
        items = kept
    models_dir = default_models_dir()
    style = await style_pools(originals) if args.style_examples > 0 else None
    results: dict[str, Any] = {"template": await evaluate("template", Describer(None), items)}
    skipped: dict[str, str] = {}
    for key in [m.strip() for m in args.models.split(",") if m.strip()]:
        model_id = MODELS.get(key, key)
        gateway = gateway_for(model_id, models_dir)
        if gateway is None:
            skipped[model_id] = f"not installed in {models_dir} (sovereign models install {model_id})"
            continue
        try:
            describer = Describer(gateway, max_tokens=args.max_tokens, timeout_s=300)
            results[model_id] = await evaluate(model_id, describer, items, style, args.style_examples)
        finally:
            await gateway.aclose()
    counts = Counter(origin for origin, _ in items)
    print(json.dumps({
        "benchmark": "descriptions_eval",
        "products": len(items),
        "sets": dict(counts),
        "mode": "grounded",
        "style_pool": {k: len(v) for k, v in style[1].items()} if style else {},
        "models": results,
        "skipped": skipped,
        "targets": {"model_draft_rate": ">= 0.8", "unsupported_claim_rate": "<= 0.02"},
    }, default=lambda o: str(o) if isinstance(o, Decimal) else o))


if __name__ == "__main__":
    asyncio.run(main())
