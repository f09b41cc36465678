"""Reading JSON a client sent (and perhaps signed): store it safely or refuse it, never crash.

``load_untrusted(raw)`` returns a value that PostgreSQL ``jsonb``, ``json.dumps``
and every feature can take, or raises ``UntrustedJson`` (a ``ValueError``: the
caller answers 400). What it does with each odd input:

* bytes that are not UTF-8 (or a body in UTF-16/32, which ``json.loads`` would
  guess): refused;
* ``NaN``, ``Infinity`` and floats beyond the double range (``1e400``): refused;
* integers outside 64 bits (``10**30``), and numbers too long for Python to read: refused
  (PHP, which WooCommerce runs on, has no larger integer, so no store sends one);
* nesting deeper than ``MAX_DEPTH`` (``'[' * 100000``): refused;
* a key given twice in one object: refused (which one counts is ambiguous);
* NUL characters (PHP-serialised objects in ``meta_data`` carry ``\\u0000``) and lone
  UTF-16 surrogates, in keys or values: replaced by U+FFFD and kept, because
  ``jsonb`` cannot store them and real WooCommerce deliveries carry them.

Pure: no I/O. The work is linear in the size of the body.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["MAX_DEPTH", "UntrustedJson", "load_untrusted"]

MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UntrustedJson(ValueError):
    """The body cannot be taken as JSON; the message says why (for a 400 answer)."""


def _no_constant(name: str) -> Any:
    raise UntrustedJson(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UntrustedJson(f"number {text[:40]} is out of range")
    return value


def _int64(text: str) -> int:
    try:
        value = int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise UntrustedJson("integer is out of the 64-bit range") from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise UntrustedJson(f"integer {text[:24]}{'…' if len(text) > 24 else ''} is out of the 64-bit range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise UntrustedJson(f"key {_clean(key)[:60]!r} appears twice in one object")
            seen.add(key)
    return obj


def _clean(text: str) -> str:
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def load_untrusted(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` strictly (see the module doc) and return a storable copy."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UntrustedJson(f"body is not UTF-8: byte {exc.start} is invalid") from None
    else:
        text = raw
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = json.loads(
            text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_int64,
            object_pairs_hook=_unique_keys,
        )
    except UntrustedJson:
        raise
    except RecursionError:
        raise UntrustedJson(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise UntrustedJson(f"not JSON: {exc}") from None
    return _storable(value, max_depth)


def _storable(value: Any, max_depth: int) -> Any:
    """Check the depth and replace unstorable characters, without recursion (the depth is the input's)."""
    if isinstance(value, str):
        return _clean(value)
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any, int]] = [(value, root, 1)]
    while stack:
        src, dst, depth = stack.pop()
        if depth > max_depth:
            raise UntrustedJson(f"nested deeper than {max_depth} levels")
        items = src.items() if isinstance(src, dict) else enumerate(src)
        for key, item in items:
            if isinstance(item, str):
                out: Any = _clean(item)
            elif isinstance(item, dict):
                out = {}
                stack.append((item, out, depth + 1))
            elif isinstance(item, list):
                out = []
                stack.append((item, out, depth + 1))
            else:
                out = item
            if isinstance(dst, dict):
                dst[_clean(key)] = out
            else:
                dst.append(out)
    return root
