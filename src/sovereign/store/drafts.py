"""Description drafts (``sovereign_description_drafts``): what Sovereign wrote for a product and
what became of it: ``draft`` (waiting for review), ``approved`` (decided, being written),
``published`` (in the product's description), ``rejected``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Protocol

import asyncpg

__all__ = ["STATUSES", "Draft", "DraftError", "DraftNotFound", "DraftRepository", "DraftText"]

STATUSES = ("draft", "approved", "published", "rejected")


class DraftError(Exception):
    """A review action that cannot be done (see the message)."""


class DraftNotFound(DraftError, LookupError):
    pass


class DraftText(Protocol):
    """What a generated description carries into its draft row (the descriptions feature's ``Described``)."""

    @property
    def text(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def model(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Draft:
    store_id: str
    product_id: int
    draft: str
    source: str  # llm | template
    status: str  # draft | approved | published | rejected
    reason: str | None
    parent_id: int | None
    model: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, r: asyncpg.Record) -> "Draft":
        return cls(
            store_id=r["store_id"],
            product_id=r["product_id"],
            draft=r["draft"],
            source=r["source"],
            status=r["status"],
            reason=r["reason"],
            parent_id=r["parent_id"],
            model=r["model"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )


class DraftRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def save(
        self, store_id: str, product_id: int, described: DraftText, *, status: str, parent_id: int | None = None
    ) -> Draft:
        """Insert or replace the product's draft (a new generation starts its review over)."""
        r = await self.pool.fetchrow(
            """
            INSERT INTO sovereign_description_drafts
                (store_id, product_id, draft, source, status, reason, parent_id, model)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (store_id, product_id) DO UPDATE SET
                draft = EXCLUDED.draft, source = EXCLUDED.source, status = EXCLUDED.status,
                reason = EXCLUDED.reason, parent_id = EXCLUDED.parent_id, model = EXCLUDED.model,
                updated_at = now()
            RETURNING *
            """,
            store_id,
            product_id,
            described.text,
            described.source,
            _status(status),
            described.reason,
            parent_id,
            described.model,
        )
        return Draft.from_record(r)

    async def get(self, store_id: str, product_id: int) -> Draft | None:
        r = await self.pool.fetchrow(
            "SELECT * FROM sovereign_description_drafts WHERE store_id = $1 AND product_id = $2", store_id, product_id
        )
        return Draft.from_record(r) if r else None

    async def list(self, store_id: str, *, status: str | None = None, limit: int = 100) -> list[Draft]:
        """Newest first; ``status`` filters (``draft`` is the review queue)."""
        rows = await self.pool.fetch(
            """
            SELECT * FROM sovereign_description_drafts
            WHERE store_id = $1 AND ($2::text IS NULL OR status = $2)
            ORDER BY updated_at DESC, product_id LIMIT $3
            """,
            store_id,
            _status(status) if status is not None else None,
            limit,
        )
        return [Draft.from_record(r) for r in rows]

    async def set_status(
        self, store_id: str, product_id: int, status: str, *, draft: str | None = None, reason: str | None = None
    ) -> Draft:
        r = await self.pool.fetchrow(
            """
            UPDATE sovereign_description_drafts
            SET status = $3, draft = COALESCE($4, draft), reason = COALESCE($5, reason), updated_at = now()
            WHERE store_id = $1 AND product_id = $2 RETURNING *
            """,
            store_id,
            product_id,
            _status(status),
            draft,
            reason,
        )
        if r is None:
            raise DraftNotFound(f"no description draft for product {product_id} of store {store_id!r}")
        return Draft.from_record(r)


def _status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"draft status must be one of {STATUSES}, not {status!r}")
    return status
