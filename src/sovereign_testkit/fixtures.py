"""The WooCommerce data captured from a real WooCommerce 10.0.2 store, shipped with this package.

The files live in ``sovereign_testkit/data/woocommerce`` (their README says what
each one is) and are installed with the package, so the tests, the demo and the
drills find them in a bare clone and in an installed wheel alike: nothing is read
from outside the repository and no environment variable is needed.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

__all__ = ["fixtures_dir", "load_json", "load_deliveries"]


def fixtures_dir() -> Path:
    """The folder of captured WooCommerce files (orders.json, products.json, webhooks, REST exchanges)."""
    folder = Path(str(files("sovereign_testkit") / "data" / "woocommerce"))
    if not (folder / "orders.json").is_file():  # a broken install, never a user's setting
        raise FileNotFoundError(f"the captured WooCommerce data is missing from the installed package: {folder}")
    return folder


def load_json(name: str) -> Any:
    return json.loads((fixtures_dir() / name).read_text(encoding="utf-8"))


def load_deliveries() -> list[dict[str, Any]]:
    """Every captured webhook delivery (webhook_deliveries.jsonl), in capture order."""
    path = fixtures_dir() / "webhook_deliveries.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
