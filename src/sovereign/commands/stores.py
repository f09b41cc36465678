"""`sovereign connect` and `sovereign stores`: connect WooCommerce stores, prove their webhooks reach us,
look at them, test them, move them, backfill them, disconnect them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sovereign.commands.common import console, fmt_ts, run, runtime
from sovereign.settings import get_settings

if TYPE_CHECKING:
    from sovereign.runtime import Runtime
    from sovereign.store.stores import StoreRecord

app = typer.Typer(help="Connected WooCommerce stores.", no_args_is_help=True)

INSECURE = "[bold red]TLS CERTIFICATE CHECKS OFF[/bold red]"


def connect(
    url: str = typer.Argument(..., help="the store's site URL, e.g. https://shop.example"),
    key: str = typer.Option(..., "--key", envvar="WOO_CONSUMER_KEY", help="REST API consumer key (ck_…), Read/Write"),
    secret: str = typer.Option(..., "--secret", envvar="WOO_CONSUMER_SECRET", help="consumer secret (cs_…)", hide_input=True),
    store_id: Optional[str] = typer.Option(None, "--id", help="short name used in webhook URLs (default: from the host)"),
    public_url: Optional[str] = typer.Option(None, help="how the store reaches Sovereign (default SOVEREIGN_PUBLIC_URL)"),
    settings_json: Optional[str] = typer.Option(None, "--settings", help='overrides on top of the store\'s own settings, e.g. {"description_mode":"review"}'),
    ca_file: Optional[str] = typer.Option(None, "--ca-file", help="PEM CA bundle to trust for this store's certificate"),
    insecure: bool = typer.Option(False, "--insecure-skip-tls-verify", help="do NOT check the store's certificate (test stores only; logged at every start)"),
    wait: float = typer.Option(30.0, "--wait", help="seconds to wait for the store's webhooks to reach Sovereign (0: do not wait)"),
    backfill: bool = typer.Option(False, "--backfill", help="also take in open orders and products without a description, however old"),
) -> None:
    """Connect a store: check the key, read its settings, register webhooks, and prove they reach Sovereign."""
    from sovereign.features.storesync.connect import ConnectError, connect_store
    from sovereign.features.storesync import reach, roundtrip
    from sovereign.store.webhook_receipts import WebhookReceipts

    s = get_settings()
    base = (public_url or s.public_url or f"http://{s.host}:{s.port}").rstrip("/")
    try:
        extra = json.loads(settings_json) if settings_json else None
    except ValueError as exc:
        raise typer.BadParameter(f"--settings is not JSON: {exc}") from None
    for problem in reach.rule_problems(base, url):
        console.print(f"[yellow]warning:[/yellow] webhooks to {base} will not leave a stock WordPress. {problem}")
    if insecure:
        console.print(f"[bold red]warning:[/bold red] {INSECURE} for {url}: anyone on the path can read and change its API traffic.")

    async def go() -> None:
        async with runtime() as rt:
            try:
                res = await connect_store(
                    rt.stores, url=url, consumer_key=key, consumer_secret=secret, public_url=base, store_id=store_id,
                    settings=extra, ca_file=ca_file, insecure_tls=insecure, global_ca_bundle=s.woo_ca_bundle,
                )
            except ConnectError as exc:
                console.print(f"[red]not connected:[/red] {exc}")
                raise typer.Exit(1) from None
            sid = res.store.id
            console.print(f"[green]key ok[/green], store [bold]{sid}[/bold] ({url}) saved; its settings: {_settings_line(res.woo_settings)}")
            console.print(f"  webhooks {res.webhook_ids} → {base}/webhooks/woocommerce/{sid}"
                          + (f" ({res.replaced} old ones replaced)" if res.replaced else ""))
            if wait > 0:
                with console.status(f"waiting up to {wait:g}s for the store's webhooks to reach Sovereign…"):
                    trip = await roundtrip.wait_for_receipts(WebhookReceipts(rt.db.pool), sid, res.webhook_ids,
                                                             res.since, timeout_s=wait)
                if not trip.ok:
                    trip.diagnosis = await roundtrip.diagnose(base, url, got_some=bool(trip.received))
                    console.print(f"[red]not connected: the store's webhooks {trip.missing} did not reach Sovereign "
                                  f"in {trip.waited_s:g}s.[/red]")
                    for line in trip.diagnosis:
                        console.print(f"  • {line}")
                    console.print(f"  The store is saved: fix the cause, then `sovereign connect` again or `sovereign stores test {sid}`.")
                    raise typer.Exit(2)
                console.print(f"  [green]round trip ok[/green]: all {len(trip.received)} webhooks reached Sovereign in {trip.waited_s:g}s")
            await rt.queue.schedule("reconcile.store", {"store": sid}, dedupe_key=f"reconcile:{sid}:connect")
            if backfill:
                await _backfill(rt, res.store)
            console.print(f"[green]connected[/green] store [bold]{sid}[/bold]; reconciliation is queued for the next worker")
            console.print("  score at checkout and see Sovereign in wp-admin: the WordPress plugin, docs/wordpress-plugin.md")

    run(go())


def _settings_line(values: dict[str, Any]) -> str:
    keys = ("currency", "currency_symbol", "price_decimals", "weight_unit", "dimension_unit", "timezone", "language")
    return ", ".join(f"{k}={values[k]}" for k in keys if k in values) or "(none readable)"


async def _backfill(rt: Runtime, store: StoreRecord) -> None:
    from sovereign.features.storesync.backfill import backfill_store

    columns = (TextColumn("{task.description:>22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def tick(what: str, done: int, total: int | None) -> None:
            label = "open orders" if what == "orders" else "products to describe"
            if what not in tasks:
                tasks[what] = bar.add_task(label, total=total)
            bar.update(tasks[what], completed=done, total=total)

        res = await backfill_store(rt, store, tick)
    console.print(f"backfill: {res.orders} open orders and {res.products} products without a description taken in; {res.jobs} jobs queued")


@app.command("list")
def list_stores() -> None:
    """Connected stores (secrets are never shown)."""

    async def go() -> None:
        async with runtime() as rt:
            t = Table("id", "url", "key", "webhooks", "webhook URL", "TLS", "last sync", "settings")
            for st in await rt.stores.list():
                p = st.public()
                tls = INSECURE if st.insecure_tls else (f"CA {st.ca_file}" if st.ca_file else "verified")
                if not st.url.startswith("https://") and not st.insecure_tls:
                    tls = "plain HTTP (OAuth 1.0a)"
                t.add_row(p["id"], p["url"], p["consumer_key"], str(len(p["webhook_ids"])), st.webhook_url or "-", tls,
                          fmt_ts(st.last_sync_at), json.dumps(p["settings"])[:50])
            console.print(t)

    run(go())


@app.command()
def show(store_id: str) -> None:
    """One store: its record, the settings read from WooCommerce, our webhooks and when each last reached us."""
    from sovereign.features.storesync import lifecycle

    async def go() -> None:
        async with runtime() as rt:
            try:
                info = await lifecycle.show(rt, store_id)
            except lifecycle.StoreNotFound as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
            if info.get("insecure_tls"):
                console.print(f"{INSECURE} for this store")
            console.print_json(json.dumps(info, default=str))

    run(go())


@app.command()
def test(store_id: str) -> None:
    """Check a store now: key, webhooks, Sovereign reachable at its public URL, WordPress's rules, receipts."""
    from sovereign.features.storesync import lifecycle

    async def go() -> None:
        async with runtime() as rt:
            try:
                report = await lifecycle.test(rt, store_id)
            except lifecycle.StoreNotFound as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
            for name, passed, detail in report.checks:
                console.print(f"{'[green]ok[/green]  ' if passed else '[red]FAIL[/red]'} {name}: {detail}")
            if not report.ok:
                raise typer.Exit(1)

    run(go())


@app.command("set-url")
def set_url(store_id: str, public_url: str = typer.Argument(..., help="how the store reaches Sovereign now")) -> None:
    """Change where the store delivers webhooks and move ours there (duplicates of ours are removed)."""
    from sovereign.features.storesync import lifecycle, reach
    from sovereign.woo.errors import WooError, describe

    async def go() -> None:
        async with runtime() as rt:
            store = await rt.stores.get(store_id)
            if store is not None:
                for problem in reach.rule_problems(public_url, store.url):
                    console.print(f"[yellow]warning:[/yellow] {problem}")
            try:
                rep = await lifecycle.set_url(rt, store_id, public_url)
            except lifecycle.StoreNotFound as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
            except WooError as exc:
                console.print(f"[red]URL recorded, webhooks not moved:[/red] {describe(exc)} (reconciliation retries)")
                raise typer.Exit(1) from None
            console.print(f"webhooks of {store_id} now deliver to {public_url.rstrip('/')}/webhooks/woocommerce/{store_id}: "
                          f"moved {rep.moved}, created {rep.created}, duplicates removed {rep.removed}")

    run(go())


@app.command()
def remove(
    store_id: str,
    erase_history: bool = typer.Option(False, "--erase-history", help="also delete the deliveries received from it"),
    force: bool = typer.Option(False, "--force", help="remove it here even if its webhooks cannot be deleted on the store"),
) -> None:
    """Disconnect a store: delete our webhooks on it and its secrets here (history kept unless --erase-history)."""
    from sovereign.features.storesync import lifecycle

    async def go() -> None:
        async with runtime() as rt:
            try:
                res = await lifecycle.remove(rt, store_id, erase_history=erase_history, force=force)
            except lifecycle.StoreNotFound as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
            if res.store_error and not force:
                console.print(f"[red]not removed:[/red] could not delete its webhooks on the store: {res.store_error}. "
                              "Fix that, or pass --force and delete them in WooCommerce > Settings > Advanced > Webhooks.")
                raise typer.Exit(1)
            console.print(f"removed store {store_id}: {len(res.webhooks_deleted)} webhooks deleted on the store, secrets deleted here; "
                          + ("history erased" if erase_history else "history kept"))

    run(go())


@app.command("backfill")
def backfill_cmd(store_id: str) -> None:
    """Take in the store's open orders and its products without a description, however old."""

    async def go() -> None:
        async with runtime() as rt:
            store = await rt.stores.get(store_id)
            if store is None:
                console.print(f"[red]no store {store_id!r}[/red]")
                raise typer.Exit(1)
            await _backfill(rt, store)

    run(go())


@app.command()
def sync(store_id: str) -> None:
    """Queue a reconciliation of one store now (missed webhooks, webhooks to repair, its settings)."""

    async def go() -> None:
        async with runtime() as rt:
            if await rt.stores.get(store_id) is None:
                console.print(f"[red]no store {store_id!r}[/red]")
                raise typer.Exit(1)
            res = await rt.queue.schedule("reconcile.store", {"store": store_id}, dedupe_key=f"reconcile:{store_id}:manual")
            console.print(f"reconciliation job {res.job_id} " + ("queued" if res.created else "already pending"))

    run(go())
