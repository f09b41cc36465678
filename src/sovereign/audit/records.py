"""Audit rows: what each gateway event becomes, and the hash that chains it to the row before.

Pure functions, no I/O. A row's hash is
``sha256(prev_hash + "\\n" + canonical_json(row content))`` where the content is
every column but ``id``, ``prev_hash`` and ``hash`` (ids are labels; the order
is the chain itself). ``canonical`` renders values exactly as they read back
from PostgreSQL, so a verifier recomputes the same hash from the stored row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Mapping

from sovereign.gateway.events import (
    BreakerChanged,
    CallFinished,
    DegradedEntered,
    DegradedLeft,
    Event,
    OverrideChanged,
)

GENESIS = "0" * 64
AUDITED = (CallFinished, OverrideChanged, DegradedEntered, DegradedLeft, BreakerChanged)

TEXT_COLUMNS = (
    "kind", "feature", "data_class", "provider", "jurisdiction", "model", "model_version",
    "request_sha256", "response_sha256", "outcome",
)
CONTENT_COLUMNS = (
    "at", *TEXT_COLUMNS, "input_tokens", "output_tokens", "latency_ms", "attempts", "cached", "stream",
    "redactions", "flags", "detail",
)
COLUMNS = ("id", *CONTENT_COLUMNS, "prev_hash", "hash")


def _text(value: Any) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates."""
    s = str(value) if value is not None else ""
    return s.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _plain(value: Any) -> Any:
    """A JSON value that survives a jsonb round trip unchanged."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if abs(value) < 1e15 else repr(value)  # jsonb would print 1e+16 as an integer
    if isinstance(value, Mapping):
        return {_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _text(value)


def row_for(event: Event, at: datetime) -> dict[str, Any] | None:
    """The row content for an audited event (``None`` for events the log does not keep)."""
    row: dict[str, Any] = dict.fromkeys(TEXT_COLUMNS, "")
    row.update(at=at, input_tokens=0, output_tokens=0, latency_ms=0.0, attempts=0, cached=False, stream=False,
               redactions={}, flags=[], detail={})
    if isinstance(event, CallFinished):
        row.update(
            kind="call", feature=event.feature, data_class=event.data_class, provider=event.provider,
            jurisdiction=event.jurisdiction, model=event.model, model_version=event.model_version,
            request_sha256=event.request_sha256, response_sha256=event.response_sha256, outcome=event.outcome,
            input_tokens=int(event.input_tokens), output_tokens=int(event.output_tokens),
            latency_ms=round(float(event.latency_ms), 3), attempts=int(event.attempts), cached=bool(event.cached),
            stream=bool(event.stream), redactions={str(k): int(v) for k, v in event.redactions.items()},
            flags=list(event.flags),
        )
        if event.tools_offered or event.tools_called:  # names only, never arguments or results
            row["detail"] = {"tools_offered": list(event.tools_offered), "tools_called": list(event.tools_called)}
    elif isinstance(event, OverrideChanged):
        row.update(kind="override", feature=event.target if event.name == "force_degraded" else "",
                   provider=event.target if event.name != "force_degraded" else "",
                   detail={"name": event.name, "target": event.target, "value": event.value, "previous": event.previous})
    elif isinstance(event, DegradedEntered):
        row.update(kind="degraded_entered", feature=event.feature,
                   detail={"reason": event.reason, "availability": event.availability})
    elif isinstance(event, DegradedLeft):
        row.update(kind="degraded_left", feature=event.feature, detail={"reason": event.reason})
    elif isinstance(event, BreakerChanged):
        row.update(kind="breaker", provider=event.provider,
                   detail={"previous": event.previous, "state": event.state, "reason": event.reason})
    else:
        return None
    for c in TEXT_COLUMNS:
        row[c] = _text(row[c])
    row["flags"] = [_text(f) for f in row["flags"]]
    row["detail"] = _plain(row["detail"])
    return row


def canonical(row: Mapping[str, Any]) -> str:
    """The content columns as one JSON text (timestamps as UTC ISO 8601 with microseconds)."""
    doc = {c: row[c] for c in CONTENT_COLUMNS}
    at: datetime = doc["at"]
    doc["at"] = at.astimezone(timezone.utc).isoformat(timespec="microseconds")
    doc["flags"] = list(doc["flags"])
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)


def chain_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(row)).encode("utf-8")).hexdigest()


def from_db(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as a dict with jsonb columns decoded (the pool has no JSON codecs)."""
    row = dict(record)
    for c in ("redactions", "detail"):
        if isinstance(row.get(c), str):
            row[c] = json.loads(row[c])
    return row


def to_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row for export: every column, timestamps as ISO 8601."""
    out = {c: row[c] for c in COLUMNS}
    out["at"] = row["at"].astimezone(timezone.utc).isoformat(timespec="microseconds")
    out["flags"] = list(row["flags"])
    return out
