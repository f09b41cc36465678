"""Webhook bodies keep personal data only for the retention (``SOVEREIGN_EVENT_RETENTION_DAYS``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import asyncpg

from sovereign.store.personal_data import PersonalDataRepository

log = logging.getLogger("sovereign.gdpr")


async def minimise_expired(pool: asyncpg.Pool, retention_days: float, *, now: datetime | None = None) -> int:
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
    n = await PersonalDataRepository(pool).minimise_events(cutoff)
    if n:
        log.info("minimised %d webhook bodies received before %s", n, cutoff.isoformat())
    return n
