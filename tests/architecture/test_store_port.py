"""The WooCommerce port is implemented by the WooCommerce client, method by method, and features use only it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import sovereign
from sovereign.features import store_port
from sovereign.woo.client import WooClient

FEATURES = Path(sovereign.__file__).resolve().parent / "features"


def _port_methods() -> dict[str, inspect.Signature]:
    out: dict[str, inspect.Signature] = {}
    for name in ("StoreOrders", "StoreProducts", "StoreWebhooks", "StoreSettings"):
        cls = getattr(store_port, name)
        for attr, fn in vars(cls).items():
            if callable(fn) and not attr.startswith("_"):
                out[attr] = inspect.signature(fn)
    return out


def test_the_client_implements_every_port_method_with_the_same_parameters() -> None:
    methods = _port_methods()
    assert {"get_order", "update_order", "add_order_note", "get_product", "update_product", "update_variation",
            "list_webhooks", "get_settings_group"} <= set(methods)
    for name, sig in methods.items():
        impl = getattr(WooClient, name, None)
        assert impl is not None, f"WooClient lacks {name}"
        got = inspect.signature(impl)
        assert list(got.parameters) == list(sig.parameters), (name, got, sig)
        assert inspect.iscoroutinefunction(impl) == inspect.iscoroutinefunction(getattr(store_port.WooStore, name))


def test_features_name_store_operations_never_rest_paths() -> None:
    """No feature calls the client's raw transport (get/post/put/delete/request/paginate with a path)."""
    raw = {"get", "post", "put", "delete", "request", "paginate"}
    offenders = []
    for path in FEATURES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in raw
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in {"woo", "orders", "store"}):
                offenders.append(f"{path.relative_to(FEATURES)}:{node.lineno} {node.func.value.id}.{node.func.attr}")
    assert not offenders, offenders
