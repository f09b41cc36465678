"""Precision and recall of the fraud rules on the captured WooCommerce orders.

Replays ``orders.json`` in creation order, as the fraud job would see it: each
order's history is built only from the orders created before it, and "held"
links only point at earlier orders this run put on hold. Rules only, default
config (the AI review is optional and can only raise scores).

The expected label of each order comes from its scenario text in
``orders_scenarios.json`` through ``LABEL_RULES`` (``sovereign.features.models.fraud_eval``), never from
our scores.

``without_review`` is the rules' precision and recall (the same as the top-level figures);
``with_review`` adds the AI review through the real gateway and the embedded model where the store's
default policy asks for it, and ``injection_score_shift`` is the largest change of a final score when
text that tries to move it is typed into an order's note, names, companies and address lines (see
``bench/fraud_review.py``, which computes both; ``--no-review`` skips them, and they are reported as
skipped when the small model is not installed).

Prints one JSON object on stdout. Usage: ``python bench/fraud.py [--threshold N] [--no-review]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from sovereign.domain.fraud import FraudConfig, build_history, combine, decide, score
from sovereign.domain.orders import Order
from sovereign.features.models.fraud_eval import LABEL_RULES, expected_label, hold_metrics
from sovereign_testkit.fixtures import load_json

# The labels (scenario text -> "risky" | "clean", never from our scores) and the hold metrics are the model
# evaluation's own (``sovereign models eval``), so the bench and a release decision count the same way.
metrics = hold_metrics


def replay(orders: list[Order], config: FraudConfig) -> list[dict[str, Any]]:
    earlier: list[Order] = []
    held: set[int] = set()
    rows = []
    for order in orders:
        history = build_history(order, earlier, config=config, held_ids=held)
        assessment = combine(score(order, history, config), None)
        decision = decide(assessment, config)
        if decision.hold:
            held.add(order.id)
        rows.append({"id": order.id, "score": assessment.score, "hold": decision.hold,
                     "signals": [r.code for r in assessment.reasons]})
        earlier.append(order)
    return rows


def run(threshold: int | None) -> dict[str, Any]:
    config = FraudConfig() if threshold is None else FraudConfig(threshold=threshold)
    scenarios = load_json("orders_scenarios.json")["orders"]
    orders = sorted((Order.from_woo(o) for o in load_json("orders.json")),
                    key=lambda o: (o.created is None, o.created, o.id))

    started = time.perf_counter()
    rows = replay(orders, config)
    elapsed = time.perf_counter() - started
    for row in rows:
        row["scenario"] = scenarios.get(str(row["id"]), "")
        row["expected"], _ = expected_label(row["scenario"])
        row["outcome"] = {(True, "risky"): "TP", (True, "clean"): "FP", (False, "risky"): "FN",
                          (False, "clean"): "TN"}[(row["hold"], row["expected"])]

    sweep = {}
    for t in (50, 60, 70, 80, 90):
        swept = replay(orders, FraudConfig(threshold=t))
        for s, row in zip(swept, rows):
            s["expected"] = row["expected"]
        m = metrics(swept)
        sweep[str(t)] = {"precision": m["precision"], "recall": m["recall"], "holds": m["holds"]}

    no_links = replay(orders, config.merged({"weights": {"linked_to_held": 0}}))
    for s, row in zip(no_links, rows):
        s["expected"] = row["expected"]
    m = metrics(no_links)

    return {
        "orders": len(rows),
        **metrics(rows),
        "without_review": metrics(rows),
        "threshold": config.threshold,
        "ms_per_order": round(elapsed * 1000 / max(1, len(rows)), 3),
        "label_rules": [{"pattern": p, "label": lab, "why": why} for p, lab, why in LABEL_RULES],
        "threshold_sweep": sweep,
        "without_linked_to_held": {"precision": m["precision"], "recall": m["recall"]},
        "per_scenario": [
            {k: row[k] for k in ("id", "scenario", "expected", "score", "hold", "outcome", "signals")} for row in rows
        ],
    }


def review_figures() -> dict[str, Any]:
    """``with_review``, its cost and ``injection_score_shift`` from ``bench/fraud_review.py`` (default config)."""
    from sovereign.models import TEST_MODEL_ID, default_models_dir
    from sovereign.models.catalogue import CATALOGUE

    if not (default_models_dir() / CATALOGUE[TEST_MODEL_ID].file_name).exists():
        return {"with_review": None, "review_skipped": f"{TEST_MODEL_ID} is not installed in {default_models_dir()} "
                f"(sovereign models install {TEST_MODEL_ID}, or set SOVEREIGN_MODELS_DIR)"}
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import asyncio

    import fraud_review

    review = asyncio.run(fraud_review.run(0))
    keep = ("model", "with_review", "orders_reviewed", "review_states", "review_raised", "seconds_per_review_mean",
            "seconds_per_review_p95", "injection_payloads", "injection_orders", "injection_comparisons",
            "injection_reviewed_variants", "injection_score_shift")
    return {k: review[k] for k in keep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=int, default=None)
    parser.add_argument("--no-review", action="store_true", help="rules only: skip the AI review and injection runs")
    args = parser.parse_args()
    result = run(args.threshold)
    if not args.no_review:
        result.update(review_figures())
    print(f"fraud bench: precision={result['precision']} recall={result['recall']}", file=sys.stderr)
    json.dump(result, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
