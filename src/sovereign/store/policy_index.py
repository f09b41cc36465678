"""Postgres for policy collections: documents as uploaded, their chunks with embeddings, versions, runs.

A collection's ``version`` goes up with every change to what it answers from
(a document indexed, replaced or removed); caches of answers derived from a
collection key on it (``sovereign.features.assistants.support_cache``). Search is an
exact cosine scan with pgvector (``<=>``) over the asked collections: policy
sets are small, and exact search never misses a passage a filter hid from an
approximate index.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Sequence

import asyncpg
import numpy as np

from sovereign.domain.policy_chunks import Chunk

__all__ = [
    "DocumentRow",
    "IngestRun",
    "Passage",
    "PolicyStore",
    "StagedDocument",
    "collection_for_store",
    "to_vector",
    "validate_collection",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,62}$")


def validate_collection(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"collection {name!r}: use lowercase letters, digits and . _ : - (at most 63 characters)")
    return name


def collection_for_store(store_id: str) -> str:
    """The collection holding a store's own policy pages (shipping, returns, ...)."""
    return f"store:{store_id}"


def to_vector(v: np.ndarray) -> str:
    """pgvector's text form; 7 significant digits keep float32 precision."""
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(v, dtype=np.float32).tolist()) + "]"


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk, with what a citation needs."""

    chunk_id: int
    collection: str
    document: str
    section: str
    text: str
    score: float  # cosine similarity to the question

    @property
    def label(self) -> str:
        return f"{self.document} §{self.section}"

    def as_json(self, *, with_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"collection": self.collection, "document": self.document, "section": self.section,
                               "label": self.label, "score": round(self.score, 4)}
        if with_text:
            out["text"] = self.text
        return out


@dataclass(frozen=True)
class StagedDocument:
    doc_id: str
    format: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class DocumentRow:
    collection: str
    doc_id: str
    title: str
    format: str
    content_sha256: str
    chunks: int
    state: str
    error: str | None
    updated_at: Any


@dataclass(frozen=True)
class IngestRun:
    id: int
    collection: str
    total: int
    done: int
    chunks: int
    failed: int
    unchanged: int
    removed: int
    state: str  # queued | running | done | failed
    error: str | None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class PolicyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def any_indexed(self) -> bool:
        """Whether any policy passage is indexed at all (then the embedding model is worth preloading)."""
        return bool(await self.pool.fetchval("SELECT EXISTS (SELECT 1 FROM sovereign_policy_chunks)"))

    # --- collections --------------------------------------------------------

    async def version(self, collection: str) -> int:
        v = await self.pool.fetchval("SELECT version FROM sovereign_policy_collections WHERE name = $1", collection)
        return int(v or 0)

    async def collections(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT c.name, c.version, c.updated_at, count(d.doc_id) AS documents, "
            "coalesce(sum(d.chunks), 0) AS chunks FROM sovereign_policy_collections c "
            "LEFT JOIN sovereign_policy_documents d ON d.collection = c.name GROUP BY c.name ORDER BY c.name"
        )
        return [dict(r) for r in rows]

    async def documents(self, collection: str) -> list[DocumentRow]:
        rows = await self.pool.fetch(
            "SELECT collection, doc_id, title, format, content_sha256, chunks, state, error, updated_at "
            "FROM sovereign_policy_documents WHERE collection = $1 ORDER BY doc_id", collection,
        )
        return [DocumentRow(**dict(r)) for r in rows]

    # --- staging and runs ---------------------------------------------------

    async def stage(self, collection: str, docs: Sequence[StagedDocument], *, prune: bool = False) -> IngestRun:
        """Record an ingestion run: new or changed documents become ``pending`` (the job indexes them),
        unchanged ones are left as they are; with ``prune``, documents not in ``docs`` are removed by the job."""
        validate_collection(collection)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO sovereign_policy_collections (name) VALUES ($1) ON CONFLICT DO NOTHING", collection
            )
            run_id = await conn.fetchval(
                "INSERT INTO sovereign_policy_ingests (collection, total, prune) VALUES ($1, 0, $2) RETURNING id",
                collection, prune,
            )
            existing = {
                r["doc_id"]: (r["content_sha256"], r["state"])
                for r in await conn.fetch(
                    "SELECT doc_id, content_sha256, state FROM sovereign_policy_documents WHERE collection = $1",
                    collection,
                )
            }
            pending = unchanged = 0
            for d in docs:
                old = existing.get(d.doc_id)
                if old is not None and old[0] == d.sha256 and old[1] == "indexed":
                    await conn.execute(
                        "UPDATE sovereign_policy_documents SET seen_ingest = $3 WHERE collection = $1 AND doc_id = $2",
                        collection, d.doc_id, run_id,
                    )
                    unchanged += 1
                    continue
                await conn.execute(
                    "INSERT INTO sovereign_policy_documents "
                    "(collection, doc_id, title, format, content_sha256, content, state, seen_ingest) "
                    "VALUES ($1, $2, $2, $3, $4, $5, 'pending', $6) ON CONFLICT (collection, doc_id) DO UPDATE SET "
                    "format = EXCLUDED.format, content_sha256 = EXCLUDED.content_sha256, content = EXCLUDED.content, "
                    "state = 'pending', error = NULL, seen_ingest = EXCLUDED.seen_ingest, updated_at = now()",
                    collection, d.doc_id, d.format, d.sha256, d.content, run_id,
                )
                pending += 1
            await conn.execute(
                "UPDATE sovereign_policy_ingests SET total = $2, unchanged = $3 WHERE id = $1", run_id, pending, unchanged
            )
        return await self.run(run_id)  # type: ignore[return-value]

    async def run(self, run_id: int) -> IngestRun | None:
        r = await self.pool.fetchrow(
            "SELECT id, collection, total, done, chunks, failed, unchanged, removed, state, error "
            "FROM sovereign_policy_ingests WHERE id = $1", run_id,
        )
        return IngestRun(**dict(r)) if r else None

    async def run_prune(self, run_id: int) -> bool:
        return bool(await self.pool.fetchval("SELECT prune FROM sovereign_policy_ingests WHERE id = $1", run_id))

    async def set_run(self, run_id: int, **fields: Any) -> None:
        allowed = {"done", "chunks", "failed", "removed", "state", "error"}
        if not fields or set(fields) - allowed:
            raise ValueError(f"unknown ingest run fields: {sorted(set(fields) - allowed)}")
        sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=2))
        finished = ", finished_at = now()" if fields.get("state") in ("done", "failed") else ""
        await self.pool.execute(
            f"UPDATE sovereign_policy_ingests SET {sets}{finished} WHERE id = $1", run_id, *fields.values()
        )

    async def pending(self, collection: str) -> list[tuple[str, str, bytes, str]]:
        """(doc_id, format, content, sha256) of the documents waiting to be indexed."""
        rows = await self.pool.fetch(
            "SELECT doc_id, format, content, content_sha256 FROM sovereign_policy_documents "
            "WHERE collection = $1 AND state = 'pending' ORDER BY doc_id", collection,
        )
        return [(r["doc_id"], r["format"], bytes(r["content"]), r["content_sha256"]) for r in rows]

    # --- indexing -----------------------------------------------------------

    async def replace_chunks(
        self, collection: str, doc_id: str, sha256: str, title: str, chunks: Sequence[Chunk], vectors: np.ndarray,
        model: str,
    ) -> int | None:
        """Swap a document's chunks in one transaction and bump the collection's version.

        Returns the new version, or None when the document changed again (or was removed) since the
        caller read it: a later run indexes that newer content."""
        async with self.pool.acquire() as conn, conn.transaction():
            locked = await conn.fetchval(
                "SELECT 1 FROM sovereign_policy_documents WHERE collection = $1 AND doc_id = $2 "
                "AND content_sha256 = $3 FOR UPDATE", collection, doc_id, sha256,
            )
            if locked is None:
                return None
            await conn.execute(
                "DELETE FROM sovereign_policy_chunks WHERE collection = $1 AND doc_id = $2", collection, doc_id
            )
            await conn.executemany(
                "INSERT INTO sovereign_policy_chunks (collection, doc_id, ord, section, content, embedding) "
                "VALUES ($1, $2, $3, $4, $5, $6::vector)",
                [(collection, doc_id, c.ord, c.section, c.text, to_vector(v)) for c, v in zip(chunks, vectors)],
            )
            await conn.execute(
                "UPDATE sovereign_policy_documents SET title = $3, chunks = $4, state = 'indexed', error = NULL, "
                "embedding_model = $5, updated_at = now() WHERE collection = $1 AND doc_id = $2",
                collection, doc_id, title, len(chunks), model,
            )
            return await self._bump(conn, collection)

    async def fail_document(self, collection: str, doc_id: str, sha256: str, error: str) -> bool:
        """A changed document that cannot be read: its old chunks go too (they no longer match the file).
        False when the document changed again since the caller read it."""
        async with self.pool.acquire() as conn, conn.transaction():
            hit = await conn.fetchval(
                "UPDATE sovereign_policy_documents SET state = 'failed', error = $4, chunks = 0, updated_at = now() "
                "WHERE collection = $1 AND doc_id = $2 AND content_sha256 = $3 RETURNING 1",
                collection, doc_id, sha256, error[:2000],
            )
            if hit is None:
                return False
            deleted = await conn.execute(
                "DELETE FROM sovereign_policy_chunks WHERE collection = $1 AND doc_id = $2", collection, doc_id
            )
            if not deleted.endswith(" 0"):
                await self._bump(conn, collection)
            return True

    async def remove_unseen(self, collection: str, run_id: int) -> int:
        """Remove the documents this run did not see (``--prune``); returns how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "DELETE FROM sovereign_policy_documents WHERE collection = $1 AND seen_ingest IS DISTINCT FROM $2",
                collection, run_id,
            )
            removed = int(status.split()[-1])
            if removed:
                await self._bump(conn, collection)
            return removed

    async def remove(self, collection: str, doc_id: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "DELETE FROM sovereign_policy_documents WHERE collection = $1 AND doc_id = $2", collection, doc_id
            )
            if status.endswith(" 0"):
                return False
            await self._bump(conn, collection)
            return True

    async def _bump(self, conn: asyncpg.Connection, collection: str) -> int:
        version = await conn.fetchval(
            "UPDATE sovereign_policy_collections SET version = version + 1, updated_at = now() WHERE name = $1 "
            "RETURNING version", collection,
        )
        # answers derived from the old versions are stale now (the support cache)
        await conn.execute(
            "DELETE FROM sovereign_support_cache WHERE collection = $1 AND policy_version < $2", collection, version
        )
        return int(version)

    # --- retrieval ----------------------------------------------------------

    async def search(
        self, collections: Sequence[str], vector: np.ndarray, *, limit: int, min_score: float
    ) -> list[Passage]:
        """The ``limit`` chunks most similar to ``vector`` in ``collections`` scoring at least ``min_score``."""
        if not collections:
            return []
        rows = await self.pool.fetch(
            "SELECT id, collection, doc_id, section, content, 1 - (embedding <=> $2::vector) AS score "
            "FROM sovereign_policy_chunks WHERE collection = ANY($1::text[]) "
            "ORDER BY embedding <=> $2::vector, id LIMIT $3",
            list(collections), to_vector(vector), limit,
        )
        return [
            Passage(r["id"], r["collection"], r["doc_id"], r["section"], r["content"], float(r["score"]))
            for r in rows if float(r["score"]) >= min_score
        ]

    # --- access -------------------------------------------------------------

    async def grants(self, api_key_id: str) -> set[str]:
        rows = await self.pool.fetch(
            "SELECT collection FROM sovereign_policy_grants WHERE api_key_id = $1", api_key_id
        )
        return {r["collection"] for r in rows}

    async def all_grants(self) -> list[tuple[str, str]]:
        rows = await self.pool.fetch("SELECT api_key_id, collection FROM sovereign_policy_grants ORDER BY 1, 2")
        return [(r["api_key_id"], r["collection"]) for r in rows]

    async def grant(self, api_key_id: str, collections: Sequence[str]) -> None:
        for c in collections:
            if c != "*":
                validate_collection(c)
        await self.pool.executemany(
            "INSERT INTO sovereign_policy_grants (api_key_id, collection) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(api_key_id, c) for c in collections],
        )

    async def revoke(self, api_key_id: str, collections: Sequence[str]) -> int:
        status = await self.pool.execute(
            "DELETE FROM sovereign_policy_grants WHERE api_key_id = $1 AND collection = ANY($2::text[])",
            api_key_id, list(collections),
        )
        return int(status.split()[-1])

    async def existing(self, names: Sequence[str] | None = None) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT name FROM sovereign_policy_collections WHERE $1::text[] IS NULL OR name = ANY($1::text[]) "
            "ORDER BY name", list(names) if names is not None else None,
        )
        return [r["name"] for r in rows]
