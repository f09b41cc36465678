"""`sovereign jobs`: list, show, retry, cancel, purge, stats."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from sovereign.commands.common import console, fmt_ts, run, runtime
from sovereign.jobs import DoneJob

app = typer.Typer(help="Inspect and manage the durable job queue.", no_args_is_help=True)


@app.command("list")
def list_jobs(
    state: Optional[str] = typer.Option(None, help="pending, running, failed, past_due or done"),
    name: Optional[str] = typer.Option(None, help="only jobs with this name"),
    group: Optional[str] = typer.Option(None, help="with --state done: only this group"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List jobs in the queue, newest first (``--state done``: the latest jobs that finished well)."""
    if state == "done" and name:
        raise typer.BadParameter("a finished job keeps only its group: use --group with --state done")

    async def go() -> None:
        async with runtime() as rt:
            if state == "done":
                _print_done(await rt.inspector.done(group=group, limit=limit), as_json)
                return
            try:
                rows = await rt.inspector.list(state, name=name, limit=limit)
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from None
            if as_json:
                console.print_json(json.dumps([_row_dict(r) for r in rows], default=str))
                return
            t = Table("id", "name", "group", "state", "attempts", "run at", "dedupe key", "args")
            for r in rows:
                t.add_row(str(r.id), r.name, r.group, r.state, str(r.attempts), fmt_ts(r.run_at), r.dedupe_key or "", json.dumps(r.args)[:60])
            console.print(t)

    run(go())


def _print_done(rows: list[DoneJob], as_json: bool) -> None:
    if as_json:
        out = [{"id": r.id, "group": r.group, "state": "done", "queued_at": r.queued_at, "done_at": r.done_at,
                "seconds": r.seconds} for r in rows]
        console.print_json(json.dumps(out, default=str))
        return
    t = Table("id", "group", "state", "queued at", "done at", "took")
    for r in rows:
        took = f"{r.seconds:.1f}s" if r.seconds is not None else ""
        t.add_row(str(r.id), r.group, "done", fmt_ts(r.queued_at) if r.queued_at else "", fmt_ts(r.done_at), took)
    console.print(t)
    console.print("[dim]a finished job's arguments leave the queue with it; `sovereign jobs show ID` prints its history[/dim]")


@app.command()
def show(job_id: int) -> None:
    """One job: its state, arguments, every failed attempt with its error and traceback, and its history."""

    async def go() -> None:
        async with runtime() as rt:
            row = await rt.inspector.get(job_id)
            final = await rt.inspector.final_status(job_id)
            if row is None and final is None:
                console.print(f"[red]no job {job_id}[/red]")
                raise typer.Exit(1)
            if row is not None:
                console.print(f"[bold]job {row.id}[/bold] {row.name} (group {row.group}) state=[bold]{row.state}[/bold]")
                console.print(f"  run at {fmt_ts(row.run_at)}  created {fmt_ts(row.created)}  dedupe key {row.dedupe_key or '-'}")
                console.print(f"  args {json.dumps(row.args)}")
            else:
                console.print(f"[bold]job {job_id}[/bold] has left the queue; final state [bold]{final}[/bold]")
            for a in await rt.inspector.attempts(job_id):
                console.print(f"[yellow]attempt {a.attempt}[/yellow] {a.kind} at {fmt_ts(a.at)}: {a.error}")
                if a.traceback:
                    console.print(a.traceback.rstrip(), style="dim", markup=False, highlight=False)
            for at, status in await rt.inspector.history(job_id):
                console.print(f"  {fmt_ts(at)}  {status}", style="dim")

    run(go())


@app.command()
def retry(
    job_ids: list[int] = typer.Argument(None),
    all_failed: bool = typer.Option(False, "--all-failed", help="retry every failed job"),
) -> None:
    """Put failed jobs back in the queue with a fresh attempt budget."""

    async def go() -> None:
        async with runtime() as rt:
            ids = list(job_ids or [])
            if all_failed:
                ids += [r.id for r in await rt.inspector.list("failed", limit=1000)]
            if not ids:
                raise typer.BadParameter("give job ids or --all-failed")
            n = await rt.inspector.retry(ids)
            console.print(f"{n} failed job(s) re-queued" + (f"; {len(ids) - n} were not failed" if n < len(ids) else ""))

    run(go())


@app.command()
def cancel(job_ids: list[int]) -> None:
    """Cancel pending or failed jobs; ask running ones to stop."""

    async def go() -> None:
        async with runtime() as rt:
            n = await rt.inspector.cancel(list(job_ids))
            console.print(f"{n} job(s) cancelled")

    run(go())


@app.command()
def purge(
    failed_older_than_days: Optional[float] = typer.Option(None, help="delete failed jobs older than this"),
    log_older_than_days: Optional[float] = typer.Option(None, help="delete queue history older than this"),
) -> None:
    """Delete old failed jobs and old history."""
    if failed_older_than_days is None and log_older_than_days is None:
        raise typer.BadParameter("give --failed-older-than-days and/or --log-older-than-days")

    async def go() -> None:
        async with runtime() as rt:
            out = await rt.inspector.purge(
                failed_older_than_s=None if failed_older_than_days is None else failed_older_than_days * 86400,
                log_older_than_s=None if log_older_than_days is None else log_older_than_days * 86400,
            )
            console.print(f"purged {out['failed']} failed job(s) and {out['log']} history row(s)")

    run(go())


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Jobs per group and state, past-due count, and live workers."""

    async def go() -> None:
        async with runtime() as rt:
            counts = await rt.inspector.counts()
            past_due = await rt.inspector.past_due()
            workers = await rt.inspector.workers(rt.settings.heartbeat_timeout_s * 2)
            done = await rt.inspector.done_count(3600)
            if as_json:
                console.print_json(json.dumps({"groups": counts, "past_due": past_due, "done_last_hour": done,
                                               "workers": len([w for w in workers if w["fresh"]])}))
                return
            t = Table("group", "cap", "pending", "running", "failed", "past due")
            for g in sorted(set(counts) | set(rt.settings.groups)):
                c = counts.get(g, {})
                cap = rt.settings.groups[g].concurrency if g in rt.settings.groups else "?"
                t.add_row(g, str(cap or "∞"), *(str(c.get(k, 0)) for k in ("pending", "running", "failed", "past_due")))
            console.print(t)
            style = "red" if past_due else "green"
            console.print(f"[{style}]past due: {past_due}[/{style}] (pending > {rt.settings.past_due_after_s:.0f}s after their time)")
            console.print(f"done in the last hour: {done}; live workers: {len([w for w in workers if w['fresh']])}")

    run(go())


def _row_dict(r) -> dict:  # noqa: ANN001
    return {k: getattr(r, k) for k in ("id", "name", "group", "state", "attempts", "run_at", "dedupe_key", "args", "takeovers")}
