"""`sovereign connect` and `sovereign stores`: connect WooCommerce stores, list them, sync them now."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from sovereign.commands.common import console, fmt_ts, run, runtime
from sovereign.settings import get_settings

app = typer.Typer(help="Connected WooCommerce stores.", no_args_is_help=True)


def connect(
    url: str = typer.Argument(..., help="the store's site URL, e.g. https://shop.example"),
    key: str = typer.Option(..., "--key", envvar="WOO_CONSUMER_KEY", help="REST API consumer key (ck_…)"),
    secret: str = typer.Option(..., "--secret", envvar="WOO_CONSUMER_SECRET", help="consumer secret (cs_…)", hide_input=True),
    store_id: Optional[str] = typer.Option(None, "--id", help="short name used in webhook URLs (default: from the host)"),
    public_url: Optional[str] = typer.Option(None, help="how the store reaches Sovereign (default SOVEREIGN_PUBLIC_URL)"),
    settings_json: Optional[str] = typer.Option(None, "--settings", help='store settings as JSON, e.g. {"description_mode":"review"}'),
) -> None:
    """Connect a store: check the key (read/write), register webhooks with a fresh secret, save it."""
    from sovereign.features.storesync.connect import ConnectError, connect_store

    s = get_settings()
    base = public_url or s.public_url or f"http://{s.host}:{s.port}"
    extra = json.loads(settings_json) if settings_json else None

    async def go() -> None:
        async with runtime() as rt:
            try:
                res = await connect_store(
                    rt.stores, url=url, consumer_key=key, consumer_secret=secret,
                    public_url=base, store_id=store_id, settings=extra,
                )
            except ConnectError as exc:
                console.print(f"[red]not connected:[/red] {exc}")
                raise typer.Exit(1) from None
            await rt.queue.schedule("reconcile.store", {"store": res.store.id}, dedupe_key=f"reconcile:{res.store.id}:connect")
            console.print(f"[green]connected[/green] store [bold]{res.store.id}[/bold] ({url})")
            console.print(f"  webhooks {res.webhook_ids} → {base}/webhooks/woocommerce/{res.store.id}"
                          + (f" ({res.replaced} old ones replaced)" if res.replaced else ""))
            console.print("  a first reconciliation is queued; it runs on the next worker")
            console.print("  score at checkout and see Sovereign in wp-admin: the WordPress plugin, docs/wordpress-plugin.md")

    run(go())


@app.command("list")
def list_stores() -> None:
    """Connected stores (secrets are never shown)."""

    async def go() -> None:
        async with runtime() as rt:
            t = Table("id", "url", "key", "webhooks", "last sync", "settings")
            for st in await rt.stores.list():
                p = st.public()
                t.add_row(p["id"], p["url"], p["consumer_key"], str(len(p["webhook_ids"])), fmt_ts(st.last_sync_at), json.dumps(p["settings"])[:50])
            console.print(t)

    run(go())


@app.command()
def sync(store_id: str) -> None:
    """Queue a reconciliation of one store now (missed webhooks, disabled webhooks)."""

    async def go() -> None:
        async with runtime() as rt:
            if await rt.stores.get(store_id) is None:
                console.print(f"[red]no store {store_id!r}[/red]")
                raise typer.Exit(1)
            res = await rt.queue.schedule("reconcile.store", {"store": store_id}, dedupe_key=f"reconcile:{store_id}:manual")
            console.print(f"reconciliation job {res.job_id} " + ("queued" if res.created else "already pending"))

    run(go())
