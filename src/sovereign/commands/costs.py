"""`sovereign costs`: cost per feature per month, projection by volume, cloud vs local break-even."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional

import typer
from rich.table import Table

from sovereign.commands.common import console, run, runtime
from sovereign.domain.costs import DEFAULT_CLOUD, Price, Volume, monthly_costs, project, unit_costs


def costs(
    since: Optional[datetime] = typer.Option(None, help="only calls since this date (default: all)"),
    orders: int = typer.Option(10_000, help="orders per month, for the projection"),
    review_share: float = typer.Option(0.15, help="share of orders the AI reviews (the uncertain band)"),
    new_products: int = typer.Option(200, help="new products per month needing a description"),
    products: int = typer.Option(2_000, help="catalogue size"),
    narratives: bool = typer.Option(False, help="daily forecast narratives on"),
    cloud_in: float = typer.Option(DEFAULT_CLOUD.input_per_1k, help="cloud price per 1k input tokens"),
    cloud_out: float = typer.Option(DEFAULT_CLOUD.output_per_1k, help="cloud price per 1k output tokens"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """What the AI features cost (from the audit log) and what a volume would cost, cloud vs local."""
    from sovereign.features.costs import prices
    from sovereign.store.usage import usage
    from sovereign.gateway_setup import default_providers

    async def go() -> None:
        async with runtime() as rt:
            rows = await usage(rt.db.pool, since.replace(tzinfo=timezone.utc) if since and since.tzinfo is None else since)
            months = monthly_costs(rows, prices(default_providers(rt.settings)))
            volume = Volume(orders_per_month=orders, llm_review_share=review_share, new_products_per_month=new_products,
                            catalogue_products=products, narratives_per_month=30 * -(-products // 25) if narratives else 0)
            proj = project(volume, unit_costs(rows), Price(cloud_in, cloud_out))
            if as_json:
                console.print_json(json.dumps({"months": [m.__dict__ for m in months], "projection": proj.as_dict()}, default=str))
                return
            t = Table("month", "feature", "calls", "cached", "tokens in", "tokens out", "cost", title="Cost per feature per month (audit log)")
            for m in months:
                t.add_row(m.month, m.feature, str(m.calls), str(m.cached), f"{m.input_tokens:,}", f"{m.output_tokens:,}", f"{m.cost:.4f}")
            console.print(t if months else "[dim]no gateway calls in the audit log yet[/dim]")
            console.print(f"\n[bold]Projection[/bold] for {orders:,} orders/month ({review_share:.0%} AI-reviewed), "
                          f"{new_products:,} new products/month" + (", daily narratives" if narratives else ""))
            for f, u in proj.assumptions["units"].items():
                console.print(f"  {f}: {u['input_tokens']:.0f} in + {u['output_tokens']:.0f} out tokens per {u['unit']} ({u['source']})")
            console.print(f"  tokens/month: {proj.tokens_in:,} in + {proj.tokens_out:,} out → cloud at "
                          f"{cloud_in}/{cloud_out} per 1k: [bold]{proj.cloud_cost:,.2f}[/bold] per month")
            t = Table("local deployment", "per month", "capacity (tokens/month)", "fits", "saving vs cloud", "break-even orders/month")
            for d in proj.local:
                be = proj.break_even_orders.get(d["name"])
                t.add_row(d["name"], f"{d['monthly_cost']:,.2f}", f"{d['capacity_tokens_per_month']:,}", "yes" if d["fits"] else "no",
                          "-" if d["saving_vs_cloud"] is None else f"{d['saving_vs_cloud']:,.2f}", "never (capacity)" if be is None else f"{be:,}")
            console.print(t)
            console.print(f"[dim]{proj.assumptions['note']}[/dim]")

    run(go())
