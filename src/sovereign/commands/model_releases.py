"""`sovereign models eval|promote|rollback|releases`: try a model on the features' own tasks, release it, undo it.

    sovereign models eval qwen2.5-coder-1.5b-instruct-q4_k_m      # descriptions and the fraud review, real data
    sovereign models promote qwen2.5-coder-1.5b-instruct-q4_k_m   # refused if worse than the current model
    sovereign models rollback                                      # every process back within seconds
"""

from __future__ import annotations

import getpass
import json
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from sovereign.commands.common import console, err, fmt_ts, run, runtime
from sovereign.commands.models import app
from sovereign.features.descriptions.describe import Describer
from sovereign.features.models.evaluation import eval_products, evaluate_descriptions
from sovereign.features.models.fraud_eval import SCORE_PAYLOADS, eval_orders, evaluate_fraud_review
from sovereign.features.models.releases import Margins, ModelLifecycle, NothingToRollBack
from sovereign.gateway import Gateway, ProviderConfig
from sovereign.models.catalogue import LocalModel, ModelSpec, UnknownModel, resolve
from sovereign.settings import get_settings
from sovereign.store.model_releases import ModelReleases

PROVIDER = typer.Option("local", "--provider", help="the embedded provider the model is for")


def _actor(actor: Optional[str]) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a container is fine
        return "cli"


def _model(model: str) -> ModelSpec | LocalModel:
    """The catalogue model or GGUF file MODEL names; exit 2 with the reason when it names none."""
    try:
        return resolve(model)
    except (UnknownModel, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _lifecycle(rt) -> ModelLifecycle:  # noqa: ANN001 - the runtime
    s = rt.settings
    margins = Margins(s.model_promote_max_draft_rate_drop, s.model_promote_max_claim_rate_rise,
                      s.model_promote_max_latency_ratio, s.model_promote_max_review_recall_drop,
                      s.model_promote_max_review_precision_drop)
    return ModelLifecycle(ModelReleases(rt.db.pool), rt.gateway, margins)


FEATURES = ("descriptions", "fraud_review")


@app.command("eval")
def eval_(
    model: str = typer.Argument(..., help="a catalogue id or a GGUF path"),
    provider: str = PROVIDER,
    limit: int = typer.Option(0, "--limit", min=0, help="the first N products and orders only (0: all)"),
    features: str = typer.Option(",".join(FEATURES), "--features",
                                 help="which evaluations: descriptions, fraud_review (comma-separated)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run the features' evaluations with MODEL and record the figures for `promote`: descriptions of the
    packaged real products (draft rate, unsupported claims, latency) and the fraud review on the captured
    orders (precision and recall with and without it, whether a shopper's text moves a score)."""
    ref = _model(model)
    wanted = [f.strip() for f in features.split(",") if f.strip()]
    if "descriptions" not in wanted or any(f not in FEATURES for f in wanted):
        raise typer.BadParameter(f"choose from {', '.join(FEATURES)}; descriptions is always needed "
                                 "(promote compares it)", param_hint="--features")
    settings = get_settings()
    products = eval_products(limit or None)
    fraud = "fraud_review" in wanted

    async def go() -> dict:
        config = ProviderConfig(name=provider, kind="embedded", model=ref.id, model_path=str(model),
                                jurisdiction="local", data_classes=["public", "customer_personal"], max_retries=0)
        gateway = Gateway([config], models_dir=settings.models_path)
        try:
            with Progress(TextColumn("evaluating {task.description}"), BarColumn(), MofNCompleteColumn(),
                          console=err) as bar:
                task = bar.add_task(f"{ref.id}: descriptions", total=len(products))
                report = (await evaluate_descriptions(Describer(gateway, timeout_s=300), products,
                                                      progress=lambda: bar.advance(task))).as_json()
                if fraud:
                    task = bar.add_task(f"{ref.id}: fraud review", total=1 + len(SCORE_PAYLOADS))
                    review = await evaluate_fraud_review(gateway, orders=eval_orders()[: limit or None],
                                                         progress=lambda: bar.advance(task))
                    report["fraud_review"] = review.as_json()
            version = getattr(gateway.provider(provider), "model_version", "") or ref.id
        finally:
            await gateway.aclose()
        async with runtime() as rt:
            row = await ModelReleases(rt.db.pool).add_eval(provider, ref.id, version, report)
        return {**report, "eval_id": row.id, "provider": provider, "model": ref.id, "version": version}

    out = run(go())
    if as_json:
        console.print_json(json.dumps(out))
        return
    console.print(f"[bold]{out['model']}[/bold] ({out['version']}) on {out['products']} products: "
                  f"model drafts {out['model_draft_rate']:.0%}, unsupported claims {out['unsupported_claim_rate']:.1%}, "
                  f"latency p95 {out['latency_p95_s']:.1f} s; template used for {out['fallback_reasons'] or 'none'}")
    if "fraud_review" in out:
        r = out["fraud_review"]
        console.print(f"fraud review on {r['orders']} orders ({r['orders_reviewed']} reviewed): recall "
                      f"{r['without_review']['recall']} without, {r['with_review']['recall']} with; precision "
                      f"{r['without_review']['precision']} without, {r['with_review']['precision']} with; "
                      f"score moved by a shopper's text: {r['injection_score_shift']}")


@app.command()
def promote(
    model: str = typer.Argument(..., help="a catalogue id or a GGUF path, evaluated with `sovereign models eval`"),
    provider: str = PROVIDER,
    force: bool = typer.Option(False, "--force", help="promote even if worse than the current model (recorded)"),
    actor: Optional[str] = typer.Option(None, "--actor", help="who decides (default: the OS user)"),
) -> None:
    """Make MODEL current for every process, unless it is worse than the current model beyond the margins."""
    ref = _model(model)

    async def go():  # noqa: ANN202
        async with runtime() as rt:
            releases = ModelReleases(rt.db.pool)
            evaluated = await releases.latest_eval(provider, ref.id)
            version = evaluated.version if evaluated else ref.id
            outcome = await _lifecycle(rt).promote(provider, ref.id, version, actor=_actor(actor), force=force)
            if rt.override_sync is not None:
                await rt.override_sync.publish()  # before this process exits
            return outcome

    outcome = run(go())
    if not outcome.ok:
        err.print(f"[red]not promoted[/red]: {ref.id} compared with {outcome.compared_with or 'nothing'}:")
        for reason in outcome.reasons:
            err.print(f"  - {reason}")
        raise typer.Exit(1)
    extra = f" (forced past: {'; '.join(outcome.reasons)})" if outcome.reasons else ""
    console.print(f"[green]promoted[/green] {ref.id} on {provider}; every process follows within seconds{extra}")


@app.command()
def rollback(
    provider: str = PROVIDER,
    actor: Optional[str] = typer.Option(None, "--actor"),
) -> None:
    """Return PROVIDER to the model it ran before the current release, in every process, without a restart."""

    async def go():  # noqa: ANN202
        async with runtime() as rt:
            release = await _lifecycle(rt).rollback(provider, actor=_actor(actor))
            if rt.override_sync is not None:
                await rt.override_sync.publish()
            return release

    try:
        release = run(go())
    except NothingToRollBack as exc:
        err.print(f"[yellow]{exc}[/yellow]")
        raise typer.Exit(1) from None
    console.print(f"[green]rolled back[/green] {provider} to {release.model} ({release.version})")


@app.command()
def releases(provider: str = PROVIDER) -> None:
    """The release history of PROVIDER, newest first."""

    async def go():  # noqa: ANN202
        async with runtime() as rt:
            return await ModelReleases(rt.db.pool).history(provider)

    table = Table("at", "action", "model", "version", "by")
    for r in run(go()):
        table.add_row(fmt_ts(r.created_at), r.action, r.model, r.version, r.actor)
    console.print(table)
