"""`sovereign policies`: ingest policy documents, list collections, grant API keys access, ask a question.

    sovereign policies ingest handbook/ --collection hr-eu      # progress bar until indexed
    sovereign policies ingest pages/ --store shop --prune       # the store's shipping/returns pages
    sovereign policies grant <key-id> hr-eu                     # which collections a key may ask about
    sovereign policies ask "How many days of leave?" --collection hr-eu
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import List, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sovereign.commands.common import console, err, fmt_ts, run, runtime

app = typer.Typer(help="HR policy and store policy documents for the assistants.", no_args_is_help=True)


def _collection(collection: Optional[str], store: Optional[str]) -> str:
    from sovereign.store.policy_index import collection_for_store, validate_collection

    if collection and store:
        raise typer.BadParameter("give --collection or --store, not both")
    try:
        return validate_collection(collection_for_store(store) if store else (collection or "default"))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def ingest(
    path: Path = typer.Argument(..., exists=True, help="a document or a folder of .md .txt .pdf .docx files"),
    collection: Optional[str] = typer.Option(None, "--collection", "-c", help="collection name (default: default)"),
    store: Optional[str] = typer.Option(None, "--store", help="the store's own policy pages: collection store:<id>"),
    prune: bool = typer.Option(False, "--prune", help="remove documents of the collection that are not in PATH"),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="show progress until the documents are indexed"),
    worker: bool = typer.Option(True, "--worker/--no-worker", help="also run the job in this process"),
) -> None:
    """Index documents (new or changed ones; unchanged files are skipped) as a durable job."""
    from sovereign.features.assistants.ingest import JOB, read_documents
    from sovereign.features.assistants.parse import UnsupportedDocument

    name = _collection(collection, store)
    try:
        docs = read_documents(path)
    except (UnsupportedDocument, OSError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if not docs and not prune:
        err.print(f"[yellow]no .md .txt .pdf or .docx files under {path}[/yellow]")
        raise typer.Exit(1)

    async def go() -> int:
        from sovereign.features.assistants.parts import assistants

        async with runtime() as rt:
            parts = assistants(rt)
            staged = await parts.store.stage(name, docs, prune=prune)
            job = await rt.queue.schedule(JOB, {"run_id": staged.id})
            console.print(f"collection [bold]{name}[/bold]: {staged.total} new or changed, "
                          f"{staged.unchanged} unchanged (run {staged.id}, job {job.job_id})")
            if not wait:
                return 0
            return await _follow(rt, parts.store, staged.id, run_worker=worker)

    raise typer.Exit(run(go()))


async def _follow(rt: object, store: object, run_id: int, *, run_worker: bool) -> int:
    """Show the run's progress (running a worker for it here unless told not to); exit code 0 when done."""
    w = rt.worker(groups=["policies"], run_crons=False, concurrency=2) if run_worker else None  # type: ignore[attr-defined]
    task = asyncio.create_task(w.run()) if w is not None else None
    bar = Progress(SpinnerColumn(), TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[chunks]} chunks"), console=err)
    try:
        with bar:
            t = bar.add_task("ingest", total=None, chunks=0)
            while True:
                current = await store.run(run_id)  # type: ignore[attr-defined]
                bar.update(t, total=max(current.total, 1), completed=current.done if current.total else 1,
                           chunks=current.chunks)
                if current.finished:
                    break
                if task is not None and task.done():
                    task.result()  # the worker died: show why
                await asyncio.sleep(0.2)
    finally:
        if w is not None and task is not None:
            w.request_stop()
            with contextlib.suppress(Exception):
                await task
    if current.state == "failed":
        err.print(f"[red]ingestion failed:[/red] {current.error}")
        return 1
    console.print(f"indexed {current.done - current.failed} documents ({current.chunks} chunks)"
                  + (f", [yellow]{current.failed} could not be read[/yellow]" if current.failed else "")
                  + (f", {current.removed} removed" if current.removed else ""))
    return 2 if current.failed else 0


@app.command()
def collections() -> None:
    """Collections with their version, documents and chunks."""

    async def go() -> None:
        from sovereign.store.policy_index import PolicyStore

        async with runtime() as rt:
            rows = await PolicyStore(rt.db.pool).collections()
        table = Table("collection", "version", "documents", "chunks", "updated")
        for r in rows:
            table.add_row(r["name"], str(r["version"]), str(r["documents"]), str(r["chunks"]), fmt_ts(r["updated_at"]))
        console.print(table)

    run(go())


@app.command()
def documents(collection: str = typer.Argument(..., help="collection name")) -> None:
    """The documents of a collection and their state."""

    async def go() -> None:
        from sovereign.store.policy_index import PolicyStore

        async with runtime() as rt:
            docs = await PolicyStore(rt.db.pool).documents(collection)
        table = Table("document", "format", "state", "chunks", "sha256", "updated", "error")
        for d in docs:
            table.add_row(d.doc_id, d.format, d.state, str(d.chunks), d.content_sha256[:12], fmt_ts(d.updated_at),
                          d.error or "")
        console.print(table)

    run(go())


@app.command()
def remove(collection: str, doc_id: str = typer.Argument(..., help="the document id shown by `documents`")) -> None:
    """Remove one document (its passages stop being used at once)."""

    async def go() -> bool:
        from sovereign.store.policy_index import PolicyStore

        async with runtime() as rt:
            return await PolicyStore(rt.db.pool).remove(collection, doc_id)

    if not run(go()):
        err.print(f"no document {doc_id!r} in {collection!r}")
        raise typer.Exit(1)
    console.print(f"removed {doc_id} from {collection}")


@app.command()
def grant(key_id: str, names: List[str] = typer.Argument(..., help="collections, or * for all")) -> None:
    """Let an API key (its id, from `sovereign keys list`) ask about these collections."""

    async def go() -> None:
        from sovereign.store.policy_index import PolicyStore

        async with runtime() as rt:
            if not any(k.id == key_id for k in await rt.api_keys.list()):
                err.print(f"[red]no API key {key_id!r}[/red]")
                raise typer.Exit(1)
            try:
                await PolicyStore(rt.db.pool).grant(key_id, names)
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from None

    run(go())
    console.print(f"key {key_id} may now read: {', '.join(names)}")


@app.command()
def revoke(key_id: str, names: List[str] = typer.Argument(..., help="collections (or *) to take back")) -> None:
    """Take back collection grants from an API key."""

    async def go() -> int:
        from sovereign.store.policy_index import PolicyStore

        async with runtime() as rt:
            return await PolicyStore(rt.db.pool).revoke(key_id, names)

    console.print(f"{run(go())} grant(s) removed")


@app.command()
def grants() -> None:
    """Every API key's collection grants."""

    async def go() -> list[tuple[str, str]]:
        from sovereign.store.policy_index import PolicyStore

        async with runtime() as rt:
            return await PolicyStore(rt.db.pool).all_grants()

    table = Table("api key", "collection")
    for key_id, name in run(go()):
        table.add_row(key_id, name)
    console.print(table)


@app.command()
def ask(
    question: str = typer.Argument(..., help="the question, in quotes"),
    collection: List[str] = typer.Option([], "--collection", "-c", help="collections to search (default: all)"),
) -> None:
    """Ask as the operator (every collection; audited like API questions)."""

    async def go() -> None:
        from sovereign.features.assistants.parts import assistants
        from sovereign.features.assistants.policies import NoLocalModel

        async with runtime() as rt:
            parts = assistants(rt)
            names = list(collection) or await parts.store.existing()
            try:
                answer = await parts.policies.ask(question, names)
            except NoLocalModel as exc:
                err.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
        console.print(answer.answer, soft_wrap=True)
        for p in answer.citations:
            console.print(f"  [dim]{p.collection}: {p.label} ({p.score:.2f})[/dim]")

    run(go())
