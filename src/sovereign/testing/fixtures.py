"""Where the captured WooCommerce fixtures live.

CI clones the repository with ``shared/`` beside it, so the default is
``<repo>/../shared/fixtures/woocommerce``; ``SOVEREIGN_FIXTURES_DIR`` overrides it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parents[3]


def fixtures_dir() -> Path:
    env = os.environ.get("SOVEREIGN_FIXTURES_DIR")
    candidates = [Path(env)] if env else []
    candidates += [_REPO.parent / "shared" / "fixtures" / "woocommerce", _REPO / "shared" / "fixtures" / "woocommerce"]
    for c in candidates:
        if (c / "orders.json").exists():
            return c
    raise FileNotFoundError(
        "WooCommerce fixtures not found; set SOVEREIGN_FIXTURES_DIR to the folder holding orders.json"
    )


def load_json(name: str) -> Any:
    return json.loads((fixtures_dir() / name).read_text(encoding="utf-8"))


def load_deliveries() -> list[dict[str, Any]]:
    """Every captured webhook delivery (webhook_deliveries.jsonl), in capture order."""
    path = fixtures_dir() / "webhook_deliveries.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
