"""Batch splitting and per-item errors, on the captured partial-error answer."""

from __future__ import annotations

import pytest

from sovereign_testkit.fixtures import load_json
from sovereign.woo.batch import BatchResult, split_batch
from sovereign.woo.errors import BatchItemError


def test_split_keeps_every_call_at_or_under_100_items_and_tracks_offsets() -> None:
    create = [{"name": f"P{i}"} for i in range(30)]
    update = [{"id": i} for i in range(150)]
    delete = list(range(1000, 1045))
    chunks = list(split_batch(create, update, delete))
    sizes = [sum(len(v) for v in c.body.values()) for c in chunks]
    assert sizes == [100, 100, 25]
    assert chunks[0].offsets == {"create": 0, "update": 0} and len(chunks[0].body["update"]) == 70
    assert chunks[1].offsets == {"update": 70, "delete": 0} and len(chunks[1].body["delete"]) == 20
    assert chunks[2].offsets == {"delete": 20}
    assert [i for c in chunks for i in c.body.get("update", [])] == update


def test_split_rejects_updates_without_id_and_yields_nothing_for_nothing() -> None:
    with pytest.raises(ValueError):
        list(split_batch(update=[{"name": "x"}]))
    assert list(split_batch()) == []


def test_captured_partial_error_is_surfaced_per_item() -> None:
    exchange = load_json("rest_products_batch_partial_error.json")
    chunk = next(split_batch(update=exchange["request"]["body"]["update"]))
    result = BatchResult()
    result.add_response(chunk, exchange["response"]["body"])
    assert [p["id"] for p in result.updated] == [22] and not result.ok
    (error,) = result.errors
    assert isinstance(error, BatchItemError)
    assert (error.op, error.index, error.item_id, error.status) == ("update", 1, 999999, 400)
    assert error.code == "woocommerce_rest_product_invalid_id" and error.message == "Invalid ID."
    with pytest.raises(BatchItemError):
        result.raise_for_errors()
