"""`sovereign describe products.csv -o described.csv`: fill the empty descriptions of a product CSV.

The file is WooCommerce's own product CSV (Products → Export). Every row whose
Description is empty gets one, from the local model through the gateway
(providers from settings; by default the best installed embedded model), or
from the template when there is no model, it fails, or it makes something up.
Every other byte of the file is kept, so the output imports back as is.
Progress is saved row by row: after Ctrl-C, the same command continues.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

from sovereign.commands.common import console, err
from sovereign.domain.products import Product
from sovereign.domain.shop_language import LANGUAGES, is_supported
from sovereign.domain.style_examples import StyleCandidate
from sovereign.embeddings import local_embedder
from sovereign.features.descriptions.describe import Described, Describer
from sovereign.features.descriptions.style import StyleExamples
from sovereign.gateway import Gateway
from sovereign.settings import Settings, get_settings
from sovereign.woo.product_csv import DescribeReport, ProductCsv, describe_csv, progress_path

__all__ = ["DescribeRun", "build_describer_gateway", "describe", "describe_file"]

ProgressCallback = Callable[[int, int, Optional[Product]], None]


@dataclass
class DescribeRun:
    """What one run did: the CSV report plus, for rows described now, where each text came from."""

    report: DescribeReport
    described: list[tuple[Product, Described]] = field(default_factory=list)  # in the order they finished

    @property
    def sources(self) -> Counter[str]:
        return Counter(d.source for _, d in self.described)

    @property
    def reasons(self) -> Counter[str]:
        return Counter((d.reason or "").split(":")[0] for _, d in self.described if d.source == "template")


def build_describer_gateway(settings: Settings) -> Gateway | None:
    """A gateway over the configured providers (default: the installed embedded model); None if there are none."""
    from sovereign.gateway_setup import default_providers

    providers = default_providers(settings)
    if not providers:
        return None
    return Gateway(providers, settings=settings.gateway, models_dir=settings.models_path)


async def describe_file(
    in_path: Path,
    out_path: Path,
    *,
    gateway: Gateway | None,
    tone: str | None = None,
    include_variations: bool = False,
    currency: str | None = None,
    max_tokens: int = 400,
    timeout_s: float = 120.0,
    concurrency: int = 1,
    progress: ProgressCallback | None = None,
    grounded: bool = True,
    style: StyleExamples | None = None,
    style_examples: int = 2,
    language: str | None = None,
) -> DescribeRun:
    """Describe every empty row of ``in_path`` into ``out_path`` (resumable); ``gateway=None``: template only.

    With ``style``, the file's own good descriptions (same category, nearest first) are shown to the
    model for style, ``style_examples`` at a time."""
    describer = Describer(gateway, max_tokens=max_tokens, timeout_s=timeout_s, feature="describe_csv", grounded=grounded)
    described: list[tuple[Product, Described]] = []
    pool: list[StyleCandidate] = []
    if style is not None and gateway is not None and grounded and style_examples > 0:
        pool = await style.prepare(p for _, p in ProductCsv.read(in_path).products(currency=currency))

    async def generate(product: Product) -> str:
        examples = await style.pick(product, pool, k=style_examples) if style is not None and pool else []
        result = await describer.describe(product, tone=tone, examples=examples, language=language)
        described.append((product, result))
        return result.text

    report = await describe_csv(
        in_path,
        out_path,
        generate,
        progress=progress,
        include_variations=include_variations,
        concurrency=concurrency,
        currency=currency,
    )
    return DescribeRun(report, described)


def describe(
    csv_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a WooCommerce product CSV (Products → Export)"),
    output: Path = typer.Option(..., "--output", "-o", help="where to write the CSV with descriptions filled in"),
    fallback_only: bool = typer.Option(False, "--fallback-only", help="use the template only, no model"),
    include_variations: bool = typer.Option(False, "--include-variations", help="describe variation rows too"),
    tone: Optional[str] = typer.Option(None, "--tone", help='e.g. "warm and playful" (default: friendly and clear)'),
    currency: Optional[str] = typer.Option(None, "--currency", help="currency code of the CSV's prices, e.g. USD"),
    max_tokens: int = typer.Option(400, "--max-tokens", min=32, help="longest model answer, in tokens"),
    timeout: float = typer.Option(120.0, "--timeout", min=1.0, help="seconds the model may take per product"),
    concurrency: int = typer.Option(1, "--concurrency", min=1, help="products described at once"),
    free_text: bool = typer.Option(False, "--free-text", help="ask for free text instead of grounded sentences "
                                   "(each naming the facts it uses); both are checked against the facts"),
    style_examples: int = typer.Option(2, "--style-examples", min=0, max=3, help="the file's own descriptions of "
                                       "similar products shown to the model for style (0: none)"),
    language: str = typer.Option("en", "--language", help="the shop's language: en, de, fr, es, nl "
                                 "(or a WordPress locale such as de_DE)"),
) -> None:
    """Fill the empty descriptions of a WooCommerce product CSV; Ctrl-C and rerun to continue."""
    if not is_supported(language):
        raise typer.BadParameter(f"{language!r} is not a supported language ({', '.join(sorted(LANGUAGES))})",
                                 param_hint="--language")
    gateway = None if fallback_only else build_describer_gateway(get_settings())
    if gateway is None and not fallback_only:
        err.print("[yellow]no model installed or configured: every description comes from the template[/yellow] "
                  "(install one with `sovereign models install`)")
    bar = Progress(
        SpinnerColumn(), TextColumn("describing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"), console=err, transient=False,
    )
    task = bar.add_task("describe", total=None, current="")

    def progress(done: int, total: int, product: Product | None) -> None:
        bar.update(task, completed=done, total=total, current=product.name[:40] if product else "")

    async def go() -> DescribeRun:
        try:
            return await describe_file(
                csv_file, output, gateway=gateway, tone=tone, include_variations=include_variations,
                currency=currency, max_tokens=max_tokens, timeout_s=timeout, concurrency=concurrency,
                progress=progress, grounded=not free_text,
                style=StyleExamples(embedder=local_embedder), style_examples=style_examples, language=language,
            )
        finally:
            if gateway is not None:
                await gateway.aclose()

    try:
        with bar:
            run = asyncio.run(go())
    except KeyboardInterrupt:
        err.print(f"[yellow]interrupted[/yellow]: finished rows are kept in {progress_path(output)}; "
                  "run the same command again to continue")
        raise typer.Exit(130) from None
    r = run.report
    sources = run.sources
    console.print(
        f"described {r.eligible} empty descriptions of {r.rows} rows → {output}: "
        f"{sources['llm']} by the model, {sources['template']} by the template, {r.resumed} resumed"
        + (f", {r.skipped_variations} variations left alone" if r.skipped_variations else ""),
        soft_wrap=True,
    )
    for reason, count in sorted(run.reasons.items()):
        console.print(f"  template: {count} × {reason}", soft_wrap=True)
