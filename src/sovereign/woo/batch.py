"""WooCommerce batch endpoints: splitting requests and reading per-item errors.

``POST /products/batch`` takes ``{"create": [...], "update": [...], "delete": [ids]}``
with at most 100 items in all (more is a 413) and answers 200 even when items
fail: a failed item is ``{"id": N, "error": {"code", "message", "data": {"status"}}}``
in place of the resource. ``split_batch`` cuts a larger request into calls of
at most 100 items; ``BatchResult`` gathers the answers and surfaces each failed
item as a ``BatchItemError`` carrying its position in the caller's list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from .errors import BatchItemError, InvalidResponseError

__all__ = ["BATCH_LIMIT", "BATCH_OPS", "BatchChunk", "BatchResult", "split_batch"]

BATCH_LIMIT = 100
BATCH_OPS = ("create", "update", "delete")


@dataclass(frozen=True, slots=True)
class BatchChunk:
    """One request body plus, per op, the index in the caller's list of its first item."""

    body: dict[str, list[Any]]
    offsets: dict[str, int]


def split_batch(
    create: Sequence[Mapping[str, Any]] = (),
    update: Sequence[Mapping[str, Any]] = (),
    delete: Sequence[int] = (),
    *,
    limit: int = BATCH_LIMIT,
) -> Iterator[BatchChunk]:
    """Yield request bodies holding at most ``limit`` items each, in create/update/delete order."""
    for item in update:
        if "id" not in item:
            raise ValueError("every batch update item needs an 'id'")
    ops: dict[str, Sequence[Any]] = {"create": create, "update": update, "delete": [int(i) for i in delete]}
    body: dict[str, list[Any]] = {}
    offsets: dict[str, int] = {}
    room = limit
    for op in BATCH_OPS:
        items = ops[op]
        pos = 0
        while pos < len(items):
            if room == 0:
                yield BatchChunk(body, offsets)
                body, offsets, room = {}, {}, limit
            take = list(items[pos : pos + room])
            offsets.setdefault(op, pos)
            body.setdefault(op, []).extend(dict(i) if isinstance(i, Mapping) else i for i in take)
            pos += len(take)
            room -= len(take)
    if body:
        yield BatchChunk(body, offsets)


@dataclass(slots=True)
class BatchResult:
    """Resources WooCommerce returned for each op, and every failed item."""

    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    errors: list[BatchItemError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise the first item error, if any (the others stay in ``errors``)."""
        if self.errors:
            raise self.errors[0]

    def add_response(self, chunk: BatchChunk, body: Any) -> None:
        """Fold one batch answer in; ``chunk`` is the request that produced it."""
        if isinstance(body, list) and not body:  # WooCommerce answers [] to an empty batch
            return
        if not isinstance(body, dict):
            raise InvalidResponseError(200, "invalid_batch_response", "batch answer is not a JSON object")
        sinks = {"create": self.created, "update": self.updated, "delete": self.deleted}
        for op, sink in sinks.items():
            items = body.get(op) or []
            for i, item in enumerate(items):
                index = chunk.offsets.get(op, 0) + i
                if isinstance(item, dict) and isinstance(item.get("error"), dict):
                    self.errors.append(_item_error(op, index, item))
                else:
                    sink.append(item)


def _item_error(op: str, index: int, item: dict[str, Any]) -> BatchItemError:
    err = item["error"]
    data = err.get("data") if isinstance(err.get("data"), dict) else {}
    status = int(data.get("status", 400)) if str(data.get("status", "")).isdigit() else 400
    raw_id = item.get("id")
    item_id = int(raw_id) if isinstance(raw_id, int) or (isinstance(raw_id, str) and raw_id.isdigit()) else None
    return BatchItemError(op, index, item_id, status, str(err.get("code", "")), str(err.get("message", "")), data)
