"""A data subject's export and erasure (`sovereign gdpr export|erase`), across webhook events, fraud
results and reviews, assistant transcripts and the response cache. The erasure is recorded in the
audit log by hash; the audit log itself holds hashes only and is never rewritten."""

from __future__ import annotations

from typing import Any

import asyncpg

from sovereign.audit.erasure import record_erasure
from sovereign.domain.personal_data import normalise_email, subject_sha256
from sovereign.store.personal_data import PersonalDataRepository, Subject


def subject(*, email: str | None = None, order: int | None = None, store_id: str | None = None) -> Subject:
    """Exactly one of ``email`` or ``order`` (ValueError otherwise: nothing is read or changed)."""
    if (email is None) == (order is None):
        raise ValueError("name exactly one of --email or --order")
    if order is not None and order <= 0:
        raise ValueError("--order must be a positive order number")
    return Subject(email=normalise_email(email) if email is not None else None, order=order, store_id=store_id)


async def export(pool: asyncpg.Pool, s: Subject) -> dict[str, Any]:
    data = await PersonalDataRepository(pool).export(s)
    return {"subject": {"email": s.email, "order": s.order, "store_id": s.store_id}, **data}


async def erase(pool: asyncpg.Pool, s: Subject) -> dict[str, Any]:
    counts = await PersonalDataRepository(pool).erase(s)
    digest = subject_sha256(email=s.email, order=s.order, store_id=s.store_id)
    await record_erasure(pool, digest, counts)  # after the erasure committed: the log records what happened
    return {"subject_sha256": digest, "erased": counts}
