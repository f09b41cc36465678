"""The image feature's records: what we last saw per product, each image's check, alt text drafts.

    repo = ImageRepository(pool)
    await repo.last_signature("shop", 18)                  # None: never checked
    await repo.save_product(check)                         # replaces the product's image rows in one transaction
    await repo.other_hashes("shop", 18)                    # [((product_id, image_id, src), phash)] of every other product
    await repo.list_products("shop", with_findings=True)
    await repo.save_alt(alt) / get_alt / list_alt / set_alt_status
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

import asyncpg

__all__ = ["ALT_STATUSES", "AltRow", "ImageRepository", "ImageRow", "ProductRow"]

ALT_STATUSES = ("draft", "approved", "published", "rejected")


@dataclass(frozen=True, slots=True)
class ImageRow:
    position: int
    image_id: int | None
    src: str
    sha256: str | None
    phash: str | None
    facts: dict[str, Any] | None
    findings: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ProductRow:
    store_id: str
    product_id: int
    signature: str
    images: int
    findings: list[dict[str, Any]]
    vision: str
    checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AltRow:
    store_id: str
    product_id: int
    image_id: int
    src: str
    alt: str
    status: str
    shows_product: bool | None = None
    match_reason: str | None = None
    model: str | None = None
    reason: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_record(cls, r: asyncpg.Record) -> "AltRow":
        return cls(
            store_id=r["store_id"], product_id=r["product_id"], image_id=r["image_id"], src=r["src"], alt=r["alt"],
            status=r["status"], shows_product=r["shows_product"], match_reason=r["match_reason"], model=r["model"],
            reason=r["reason"], updated_at=r["updated_at"],
        )


def _status(status: str) -> str:
    if status not in ALT_STATUSES:
        raise ValueError(f"alt status must be one of {ALT_STATUSES}, not {status!r}")
    return status


def _product(r: asyncpg.Record) -> ProductRow:
    return ProductRow(
        store_id=r["store_id"], product_id=r["product_id"], signature=r["signature"], images=r["images"],
        findings=json.loads(r["findings"]), vision=r["vision"], checked_at=r["checked_at"],
    )


def _image(r: asyncpg.Record) -> ImageRow:
    return ImageRow(r["position"], r["image_id"], r["src"], r["sha256"], r["phash"],
                    json.loads(r["facts"]) if r["facts"] else None, json.loads(r["findings"]))


class ImageRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # -- products and their images -------------------------------------------------------

    async def last_signature(self, store_id: str, product_id: int) -> str | None:
        return await self.pool.fetchval(
            "SELECT signature FROM sovereign_image_products WHERE store_id = $1 AND product_id = $2",
            store_id, product_id,
        )

    async def forget_signature(self, store_id: str, product_id: int) -> None:
        """Make the next check of the product run in full (its write to the store did not happen)."""
        await self.pool.execute(
            "UPDATE sovereign_image_products SET signature = '' WHERE store_id = $1 AND product_id = $2",
            store_id, product_id,
        )

    async def save_product(self, product: ProductRow, images: Sequence[ImageRow]) -> None:
        """The product's check and its image rows, replacing what was there, in one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """
                INSERT INTO sovereign_image_products (store_id, product_id, signature, images, findings, vision)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6)
                ON CONFLICT (store_id, product_id) DO UPDATE SET
                    signature = EXCLUDED.signature, images = EXCLUDED.images, findings = EXCLUDED.findings,
                    vision = EXCLUDED.vision, checked_at = now()
                """,
                product.store_id, product.product_id, product.signature, product.images,
                json.dumps(product.findings), product.vision,
            )
            await conn.execute(
                "DELETE FROM sovereign_image_checks WHERE store_id = $1 AND product_id = $2",
                product.store_id, product.product_id,
            )
            await conn.executemany(
                """
                INSERT INTO sovereign_image_checks
                    (store_id, product_id, position, image_id, src, sha256, phash, facts, findings)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)
                """,
                [
                    (product.store_id, product.product_id, i.position, i.image_id, i.src, i.sha256, i.phash,
                     json.dumps(i.facts) if i.facts is not None else None, json.dumps(i.findings))
                    for i in images
                ],
            )

    async def other_hashes(self, store_id: str, product_id: int) -> list[tuple[tuple[int, int | None, str], str]]:
        """Every perceptual hash of the store's other products: ``((product_id, image_id, src), phash)``."""
        rows = await self.pool.fetch(
            """
            SELECT product_id, image_id, src, phash FROM sovereign_image_checks
            WHERE store_id = $1 AND product_id <> $2 AND phash IS NOT NULL
            """,
            store_id, product_id,
        )
        return [((r["product_id"], r["image_id"], r["src"]), r["phash"]) for r in rows]

    async def hashed_images(self, store_id: str) -> list[tuple[int, ImageRow]]:
        """Every image of the store with a perceptual hash, as ``(product_id, row)``."""
        rows = await self.pool.fetch(
            "SELECT * FROM sovereign_image_checks WHERE store_id = $1 AND phash IS NOT NULL ORDER BY product_id, position",
            store_id,
        )
        return [(r["product_id"], _image(r)) for r in rows]

    async def set_findings(self, store_id: str, product_id: int, by_position: dict[int, list[dict[str, Any]]]) -> ProductRow | None:
        """Replace some images' findings and recompute the product's list (all its images' findings, in order)."""
        async with self.pool.acquire() as conn, conn.transaction():
            for position, findings in by_position.items():
                await conn.execute(
                    "UPDATE sovereign_image_checks SET findings = $4::jsonb "
                    "WHERE store_id = $1 AND product_id = $2 AND position = $3",
                    store_id, product_id, position, json.dumps(findings),
                )
            r = await conn.fetchrow(
                """
                UPDATE sovereign_image_products p SET findings = COALESCE((
                    SELECT jsonb_agg(f ORDER BY c.position, n) FROM sovereign_image_checks c,
                        jsonb_array_elements(c.findings) WITH ORDINALITY AS e(f, n)
                    WHERE c.store_id = p.store_id AND c.product_id = p.product_id), '[]'::jsonb)
                WHERE store_id = $1 AND product_id = $2 RETURNING *
                """,
                store_id, product_id,
            )
        return _product(r) if r else None

    async def twins_of(self, store_id: str, product_id: int) -> set[int]:
        """Products whose stored findings say they share a photo with ``product_id``."""
        rows = await self.pool.fetch(
            """
            SELECT DISTINCT c.product_id FROM sovereign_image_checks c, jsonb_array_elements(c.findings) f
            WHERE c.store_id = $1 AND c.product_id <> $2 AND f->>'code' = 'duplicate'
              AND (f->'detail'->'products') @> to_jsonb($2::bigint)
            """,
            store_id, product_id,
        )
        return {r["product_id"] for r in rows}

    async def get_product(self, store_id: str, product_id: int) -> ProductRow | None:
        r = await self.pool.fetchrow(
            "SELECT * FROM sovereign_image_products WHERE store_id = $1 AND product_id = $2", store_id, product_id
        )
        return _product(r) if r else None

    async def images_of(self, store_id: str, product_id: int) -> list[ImageRow]:
        rows = await self.pool.fetch(
            "SELECT * FROM sovereign_image_checks WHERE store_id = $1 AND product_id = $2 ORDER BY position",
            store_id, product_id,
        )
        return [_image(r) for r in rows]

    async def list_products(self, store_id: str, *, with_findings: bool = False, limit: int = 200) -> list[ProductRow]:
        """Most recently checked first; ``with_findings``: only products with at least one finding."""
        rows = await self.pool.fetch(
            """
            SELECT * FROM sovereign_image_products
            WHERE store_id = $1 AND (NOT $2 OR jsonb_array_length(findings) > 0)
            ORDER BY checked_at DESC, product_id LIMIT $3
            """,
            store_id, with_findings, limit,
        )
        return [_product(r) for r in rows]

    async def finding_counts(self, store_id: str) -> dict[str, int]:
        rows = await self.pool.fetch(
            """
            SELECT f->>'code' AS code, count(*) AS n FROM sovereign_image_products, jsonb_array_elements(findings) f
            WHERE store_id = $1 GROUP BY 1 ORDER BY 1
            """,
            store_id,
        )
        return {r["code"]: r["n"] for r in rows}

    # -- alt text --------------------------------------------------------------------------

    async def save_alt(self, alt: AltRow) -> AltRow:
        """Insert or replace the image's alt text row (a new one starts its review over)."""
        r = await self.pool.fetchrow(
            """
            INSERT INTO sovereign_image_alt
                (store_id, product_id, image_id, src, alt, status, shows_product, match_reason, model, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (store_id, product_id, image_id) DO UPDATE SET
                src = EXCLUDED.src, alt = EXCLUDED.alt, status = EXCLUDED.status,
                shows_product = EXCLUDED.shows_product, match_reason = EXCLUDED.match_reason,
                model = EXCLUDED.model, reason = EXCLUDED.reason, updated_at = now()
            RETURNING *
            """,
            alt.store_id, alt.product_id, alt.image_id, alt.src, alt.alt, _status(alt.status), alt.shows_product,
            alt.match_reason, alt.model, alt.reason,
        )
        return AltRow.from_record(r)

    async def get_alt(self, store_id: str, product_id: int, image_id: int) -> AltRow | None:
        r = await self.pool.fetchrow(
            "SELECT * FROM sovereign_image_alt WHERE store_id = $1 AND product_id = $2 AND image_id = $3",
            store_id, product_id, image_id,
        )
        return AltRow.from_record(r) if r else None

    async def list_alt(self, store_id: str, *, status: str | None = None, limit: int = 200) -> list[AltRow]:
        rows = await self.pool.fetch(
            """
            SELECT * FROM sovereign_image_alt WHERE store_id = $1 AND ($2::text IS NULL OR status = $2)
            ORDER BY updated_at DESC, product_id, image_id LIMIT $3
            """,
            store_id, _status(status) if status is not None else None, limit,
        )
        return [AltRow.from_record(r) for r in rows]

    async def set_alt_status(
        self, store_id: str, product_id: int, image_id: int, status: str, *, alt: str | None = None,
        reason: str | None = None,
    ) -> AltRow | None:
        r = await self.pool.fetchrow(
            """
            UPDATE sovereign_image_alt SET status = $4, alt = COALESCE($5, alt), reason = COALESCE($6, reason),
                updated_at = now()
            WHERE store_id = $1 AND product_id = $2 AND image_id = $3 RETURNING *
            """,
            store_id, product_id, image_id, _status(status), alt, reason,
        )
        return AltRow.from_record(r) if r else None
