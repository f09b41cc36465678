"""`sovereign demo`, the main job, end to end on a real database, without a model (rules and templates)."""

from __future__ import annotations

from rich.console import Console

from sovereign.demo import print_report, run_demo
from sovereign.settings import Settings


async def test_the_demo_scores_orders_and_drafts_descriptions_through_the_whole_loop(db_url: str) -> None:
    settings = Settings(database_url=db_url, embedded_model="none", dequeue_poll_s=0.2)
    console = Console(record=True, width=150)
    report = await run_demo(settings, console, order_limit=20, timeout_s=120)
    print_report(report, console)
    decisions = {o["id"]: o["decision"] for o in report.orders}
    assert decisions[50] == "hold" and decisions[44] == "none"  # the mailinator DE→NG order; a registered customer
    held = [o for o in report.orders if o["decision"] == "hold"]
    assert held and all(o["status"] == "on-hold" and o["notes"] for o in held)
    drafted = [p for p in report.products if p["source"]]
    assert {p["name"] for p in drafted} >= {"Hoodie with Logo", "Belt", "Polo", "T-Shirt with Logo", "WordPress Pennant"}
    assert all(p["source"] == "template" for p in drafted)  # no model: the fallback, never nothing
    assert report.failed_jobs == 0
    text = console.export_text()
    assert "put on hold" in text and "Products: descriptions" in text
