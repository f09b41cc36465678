"""`sovereign images scan|findings`: check a store's product images from the command line."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from sovereign.commands.common import console, err, fmt_ts, run, runtime

app = typer.Typer(help="Product image checks: size, sharpness, duplicates, alt text.", no_args_is_help=True)


@app.command("scan")
def scan(
    store: str = typer.Argument(..., help="the connected store's id (`sovereign stores list`)"),
    force: bool = typer.Option(False, "--force", help="check products whose images did not change too"),
    concurrency: int = typer.Option(2, "--concurrency", min=1, max=16, help="products checked at once"),
    queue: bool = typer.Option(False, "--queue", help="queue durable jobs for the workers instead of checking here"),
) -> None:
    """Check every product's images now (with progress), or queue one job per product with --queue."""
    from sovereign.features.images.check import NO_VISION
    from sovereign.features.images.scan import queue_catalogue, scan_catalogue

    async def go() -> None:
        async with runtime() as rt:
            if await rt.stores.get(store) is None:
                err.print(f"[red]store {store!r} is not connected[/red] (`sovereign stores list`)")
                raise typer.Exit(1)
            if queue:
                n = await queue_catalogue(rt, store, force=force)
                console.print(f"queued {n} image checks for store {store} (group images); `sovereign jobs list` shows them")
                return
            from sovereign.features.images.alt import vision_providers

            if not vision_providers(rt.gateway):
                err.print(f"[yellow]{NO_VISION}[/yellow]: sizes, sharpness and duplicates only, no alt text "
                          "(set vision = true on a provider that reads images)")
            bar = Progress(
                SpinnerColumn(), TextColumn("checking images"), BarColumn(), MofNCompleteColumn(),
                TimeRemainingColumn(), TextColumn("{task.fields[current]}"), console=err,
            )
            task = bar.add_task("scan", total=None, current="")

            def progress(done: int, total: int, pid: int | None) -> None:
                bar.update(task, completed=done, total=total, current=f"product {pid}" if pid else "")

            with bar:
                report = await scan_catalogue(rt, store, force=force, concurrency=concurrency, progress=progress)
            console.print(
                f"{report.products} products: {report.checked} checked, {report.skipped} unchanged or skipped, "
                f"{len(report.failed)} failed", soft_wrap=True,
            )
            for code, n in sorted(report.codes.items(), key=lambda kv: -kv[1]):
                console.print(f"  {n:5d} × {code}")
            for pid, why in sorted(report.failed.items()):
                console.print(f"  [red]product {pid}[/red]: {why}", soft_wrap=True)

    try:
        run(go())
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]: products checked so far are saved; run again to continue")
        raise typer.Exit(130) from None


@app.command("findings")
def findings(
    store: str = typer.Argument(..., help="the connected store's id"),
    limit: int = typer.Option(50, "--limit", min=1, help="products shown"),
) -> None:
    """Products whose images have findings, most recently checked first."""
    from sovereign.store.images import ImageRepository

    async def go() -> None:
        async with runtime() as rt:
            repo = ImageRepository(rt.db.pool)
            t = Table("product", "images", "findings", "vision", "checked")
            for row in await repo.list_products(store, with_findings=True, limit=limit):
                codes = sorted({f["code"] for f in row.findings})
                t.add_row(str(row.product_id), str(row.images), ", ".join(codes), row.vision, fmt_ts(row.checked_at))
            console.print(t)

    run(go())
