"""`sovereign demo`: the whole loop, end to end, on the embedded defaults.

A WooCommerce-shaped store built from the captured fixtures (real orders,
products and signed webhooks) is connected to a real Sovereign service
(embedded PostgreSQL, durable jobs, the local model in-process). The store
sends its order and product webhooks; Sovereign scores the orders for fraud,
drafts the missing product descriptions and writes both back through the REST
API; then the demo prints what happened to each order and product.

The demo uses its own database (``sovereign_demo``, recreated each run) on the
same server, so it never touches the service's data.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sovereign.features.storesync.connect import connect_store
from sovereign.settings import Settings
from sovereign.store.database import resolve_url
from sovereign_testkit.fake_woo import FakeWooStore
from sovereign_testkit.fake_woo_server import LocalServer
from sovereign_testkit.fixtures import load_json
from sovereign.web.app import create_app
from sovereign.store import evidence

DEMO_DB = "sovereign_demo"
STORE_ID = "demo"
WATCHED_GROUPS = ("fraud", "descriptions", "webhooks", "default")


@dataclass
class DemoReport:
    orders: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    model: str | None = None
    pending_rescores: int = 0
    failed_jobs: int = 0


async def _fresh_database(settings: Settings) -> str:
    base, _ = await asyncio.to_thread(resolve_url, settings)
    conn = await asyncpg.connect(base)
    try:
        await evidence.fresh_database(conn, DEMO_DB)
    finally:
        await conn.close()
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path="/" + DEMO_DB))


async def _outstanding(pool: asyncpg.Pool) -> int:
    """Jobs still to run (re-scores waiting for a provider to come back are not waited for)."""
    return await evidence.count_jobs(pool, groups=WATCHED_GROUPS, exclude_job="fraud.rescore")


async def _scheduled(pool: asyncpg.Pool) -> int:
    return await evidence.scheduled_jobs(pool, WATCHED_GROUPS)


async def run_demo(settings: Settings, console: Console, *, order_limit: int | None = None, timeout_s: float = 1800) -> DemoReport:
    started = time.monotonic()
    demo_settings = settings.model_copy(update={"database_url": await _fresh_database(settings)})
    app = create_app(demo_settings, run_worker=True)
    scenarios = {int(k): v for k, v in load_json("orders_scenarios.json").get("orders", {}).items()}
    report = DemoReport()
    async with app.router.lifespan_context(app), LocalServer(app) as server, FakeWooStore(safe_ports="any") as woo:
        rt = app.state.runtime
        report.model = ", ".join(f"{n}" for n in rt.gateway.providers) or None
        console.print(f"[bold]Sovereign[/bold] at {server.url}, demo store at {woo.url}")
        console.print(f"local model: {report.model or 'none installed: rules and templates only'}")
        res = await connect_store(
            rt.stores, url=woo.url, consumer_key=woo.consumer_key, consumer_secret=woo.consumer_secret,
            public_url=server.url, store_id=STORE_ID,
            settings={"description_mode": "review", "tone": "friendly", "currency": "USD", "description_timeout_s": 900},
        )
        console.print(f"connected: key checked, {len(res.webhook_ids)} webhooks registered (WooCommerce pinged them)")

        orders = sorted(woo.state.orders)[: order_limit or None]
        products = [pid for pid, p in sorted(woo.state.products.items()) if p.get("type") != "variation"]
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
            sent = bar.add_task("webhooks sent", total=len(orders) + len(products))
            for oid in orders:
                await woo.deliver("order.created", oid)
                bar.advance(sent)
            for pid in products:
                await woo.deliver("product.created", pid)
                bar.advance(sent)
            await woo.drain()
            work = bar.add_task("jobs run by the worker", total=None)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                left = await _outstanding(rt.db.pool)
                total = await _scheduled(rt.db.pool)
                bar.update(work, total=total, completed=total - left)
                if left == 0:
                    break
                await asyncio.sleep(0.5)
        await woo.drain()
        pool = rt.db.pool
        results = await evidence.latest_fraud_results(pool, STORE_ID)
        for oid in orders:
            order = woo.order(oid)
            r = results.get(oid)
            report.orders.append({
                "id": oid,
                "scenario": scenarios.get(oid, ""),
                "score": r["score"] if r else None,
                "decision": r["decision"] if r else "not scored",
                "llm": r["llm"] if r else "",
                "status": order["status"],
                "notes": len([n for n in woo.notes(oid) if "Sovereign" in n.get("note", "")]),
            })
        drafts = await evidence.description_drafts(pool, STORE_ID)
        for pid in products:
            p = woo.product(pid)
            d = drafts.get(pid)
            report.products.append({
                "id": pid,
                "name": p["name"],
                "had_description": pid not in drafts and bool(p.get("description")),
                "source": d["source"] if d else "",
                "status": d["status"] if d else "",
                "draft": (d["draft"] if d else ""),
            })
        report.pending_rescores = await evidence.count_jobs(
            pool, jobs=["fraud.rescore"], statuses=None)
        report.failed_jobs = await evidence.count_jobs(pool, statuses=("failed",))
    report.seconds = time.monotonic() - started
    return report


def print_report(report: DemoReport, console: Console) -> None:
    t = Table(title="Orders: fraud scoring", show_lines=False)
    for col in ("order", "scenario", "score", "decision", "AI review", "status now", "note"):
        t.add_column(col, no_wrap=True, overflow="ellipsis", max_width=44 if col == "scenario" else None)
    for o in report.orders:
        style = "red" if o["decision"] == "hold" else ""
        t.add_row(str(o["id"]), o["scenario"][:48], "" if o["score"] is None else str(o["score"]), o["decision"],
                  o["llm"], o["status"], "yes" if o["notes"] else "", style=style)
    console.print(t)
    t = Table(title="Products: descriptions")
    for col in ("product", "name", "result", "draft (first words)"):
        t.add_column(col, no_wrap=True, overflow="ellipsis", max_width=60 if col.startswith("draft") else None)
    for p in report.products:
        if p["source"]:
            result = f"{p['status']} ({'local model' if p['source'] == 'llm' else 'template fallback'})"
        else:
            result = "had a description" if p["had_description"] else "skipped"
        t.add_row(str(p["id"]), p["name"], result, p["draft"].replace("\n", " ")[:70])
    console.print(t)
    held = sum(1 for o in report.orders if o["decision"] == "hold")
    drafted = sum(1 for p in report.products if p["source"])
    console.print(
        f"[bold]{len(report.orders)} orders[/bold] scored: {held} put on hold with a private note and meta, "
        f"{len(report.orders) - held} left alone. [bold]{drafted} descriptions[/bold] drafted for review. "
        f"Re-scores waiting for a provider: {report.pending_rescores}. Failed jobs: {report.failed_jobs}. "
        f"{report.seconds:.0f}s in all."
    )
