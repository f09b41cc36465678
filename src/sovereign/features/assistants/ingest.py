"""Ingestion: files are staged in Postgres, then the durable ``policies.ingest`` job indexes them.

    docs = read_documents(Path("handbook/"))            # every .md .txt .pdf .docx below, ids relative
    run = await store.stage("hr-eu", docs, prune=True)  # new/changed → pending; same hash → untouched
    await queue.schedule("policies.ingest", {"run_id": run.id})

The job parses each pending document, chunks it by section, embeds the chunks
(batched, off the event loop) and swaps the document's chunks in one
transaction, bumping the collection's version. Progress is written to the
run's row after each document (what the CLI shows). A document that cannot
be parsed is marked ``failed`` and the run goes on; a missing embedding model
fails the run at once (no retry can install it); other errors are retried.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import BaseModel

from sovereign.embeddings import Embedder, EmbeddingUnavailable
from sovereign.jobs import JobContext, NonRetryableError

from sovereign.features.assistants.audit import AssistantSettings
from sovereign.domain.policy_chunks import chunk_sections
from sovereign.features.assistants.parse import FORMATS, UnsupportedDocument, format_of, parse_document
from sovereign.store.policy_index import IngestRun, PolicyStore, StagedDocument
from sovereign.features.assistants.parts import AssistantsServices

__all__ = ["IngestArgs", "JOB", "MAX_DOCUMENT_BYTES", "index_run", "ingest_job", "read_documents"]

log = logging.getLogger("sovereign.policies")

JOB = "policies.ingest"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


class IngestArgs(BaseModel):
    run_id: int


def read_documents(path: Path) -> list[StagedDocument]:
    """The supported files at ``path`` (a file, or a folder searched recursively; hidden files skipped)."""
    path = path.expanduser()
    if path.is_file():
        files: Iterable[tuple[Path, str]] = [(path, path.name)]
    elif path.is_dir():
        files = sorted(
            (p, p.relative_to(path).as_posix()) for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in FORMATS
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    else:
        raise FileNotFoundError(f"{path} does not exist")
    out: list[StagedDocument] = []
    for file, doc_id in files:
        fmt = format_of(doc_id)
        if fmt is None:
            raise UnsupportedDocument(f"{doc_id}: unsupported file type (use {', '.join(sorted(FORMATS))})")
        size = file.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise UnsupportedDocument(f"{doc_id} is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}")
        out.append(StagedDocument(doc_id, fmt, file.read_bytes()))
    return out


async def index_run(
    store: PolicyStore,
    embedder: Embedder,
    run_id: int,
    settings: AssistantSettings,
    *,
    progress: Callable[[IngestRun], Any] | None = None,
) -> IngestRun:
    """Index every pending document of the run's collection; returns the finished run."""
    run = await store.run(run_id)
    if run is None:
        raise NonRetryableError(f"ingest run {run_id} does not exist")
    if run.finished:
        return run
    await store.set_run(run_id, state="running")
    collection = run.collection
    done, chunks_total, failed = run.done, run.chunks, run.failed  # a retried run goes on counting
    try:
        for doc_id, fmt, content, sha in await store.pending(collection):
            try:
                parsed = await asyncio.to_thread(parse_document, doc_id, content)
                chunks = chunk_sections(
                    parsed.sections, max_words=settings.chunk_words, overlap_words=settings.chunk_overlap_words
                )
                if not chunks:
                    raise UnsupportedDocument(f"{doc_id} has no text")
            except UnsupportedDocument as exc:
                log.warning("policy document %s/%s not indexed: %s", collection, doc_id, exc)
                await store.fail_document(collection, doc_id, sha, str(exc))
                failed += 1
            else:
                vectors = await embedder.embed([c.context for c in chunks])
                applied = await store.replace_chunks(
                    collection, doc_id, sha, parsed.title, chunks, vectors, embedder.model_id
                )
                if applied is not None:
                    chunks_total += len(chunks)
            done += 1
            await store.set_run(run_id, done=done, chunks=chunks_total, failed=failed)
            if progress is not None:
                progress(await store.run(run_id))  # type: ignore[arg-type]
        removed = await store.remove_unseen(collection, run_id) if await store.run_prune(run_id) else 0
    except EmbeddingUnavailable as exc:
        await store.set_run(run_id, state="failed", error=str(exc))
        raise NonRetryableError(str(exc)) from None
    await store.set_run(run_id, state="done", removed=removed)
    log.info("policy collection %s: %d documents indexed (%d chunks), %d failed, %d removed",
             collection, done - failed, chunks_total, failed, removed)
    return await store.run(run_id)  # type: ignore[return-value]


async def ingest_job(args: IngestArgs, ctx: JobContext[AssistantsServices]) -> None:
    parts = ctx.services.assistants()
    await index_run(parts.store, parts.embedder, args.run_id, parts.settings)
