"""The `sovereign` command. Thin: every command delegates to the service layer."""

from __future__ import annotations

from typing import Optional

import typer

from sovereign import __version__
from sovereign.commands import audit, costs, db, jobs, keys, model_releases, models, stores  # noqa: F401 - model_releases adds to `models`
from sovereign.commands import describe as describe_cmd
from sovereign.commands import drill as drill_cmd
from sovereign.commands import images as images_cmd
from sovereign.commands import ops
from sovereign.commands import policies as policies_cmd
from sovereign.commands import secrets as secrets_cmd
from sovereign.commands import gdpr as gdpr_cmd
from sovereign.commands.common import console, run, setup_logging
from sovereign.settings import get_settings

app = typer.Typer(
    help="Sovereign: the lockout-proof AI layer for WooCommerce.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(jobs.app, name="jobs")
app.add_typer(db.app, name="db")
app.add_typer(models.app, name="models")
app.add_typer(stores.app, name="stores")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(ops.ops_app, name="ops")
app.add_typer(ops.degraded_app, name="degraded")
app.add_typer(ops.override_app, name="override")
app.add_typer(ops.console_app, name="console")
app.add_typer(policies_cmd.app, name="policies")
app.add_typer(images_cmd.app, name="images")
app.add_typer(secrets_cmd.app, name="secrets")
app.add_typer(gdpr_cmd.app, name="gdpr")
app.command("connect")(stores.connect)
app.command("costs")(costs.costs)
app.command("describe")(describe_cmd.describe)
app.command("drill")(drill_cmd.drill)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="debug logs on stderr")) -> None:
    setup_logging(verbose)


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="default SOVEREIGN_HOST (127.0.0.1)"),
    port: Optional[int] = typer.Option(None, help="default SOVEREIGN_PORT (8787)"),
    worker: bool = typer.Option(True, "--worker/--no-worker", help="also run a worker in this process"),
) -> None:
    """Run the HTTP API (webhooks, gateway, fraud score, console) and, by default, a worker."""
    import uvicorn

    from sovereign import logs
    from sovereign.web.app import create_app
    from sovereign.web.http_protocol import bounded_httptools

    s = get_settings()
    logs.configure(s.log_level, s.log_json)
    line = s.max_path_bytes + s.max_query_bytes + 512  # method, version and the '?' around them
    uvicorn.run(
        create_app(s, run_worker=worker),
        host=host or s.host,
        port=port or s.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # the app trusts X-Forwarded-* only from SOVEREIGN_TRUSTED_PROXIES
        loop="uvloop",
        http=bounded_httptools(max_head_bytes=line + s.max_header_bytes + 512, max_line_bytes=line),
        timeout_graceful_shutdown=int(s.shutdown_grace_s) + 5,
    )


@app.command()
def worker(
    groups: Optional[str] = typer.Option(None, help="comma-separated job groups (default: all)"),
    concurrency: Optional[int] = typer.Option(None, help="jobs run at once by this process"),
    cron: bool = typer.Option(True, "--cron/--no-cron", help="also fire recurring schedules"),
) -> None:
    """Run a worker: takes jobs until SIGTERM, then finishes running ones (up to the grace period)."""
    import uvloop

    from sovereign import logs
    from sovereign.runtime import open_runtime

    s = get_settings()
    logs.configure(s.log_level, s.log_json)

    async def go() -> None:
        rt = await open_runtime(s)
        try:
            w = rt.worker(groups=groups.split(",") if groups else None, concurrency=concurrency, run_crons=cron)
            await w.run(install_signal_handlers=True)
        finally:
            await rt.close()

    uvloop.run(go())


@app.command()
def demo(
    orders: Optional[int] = typer.Option(None, help="score only the first N orders (default: all 44)"),
    timeout: float = typer.Option(1800, help="give up waiting for jobs after this many seconds"),
) -> None:
    """Run the whole loop against a WooCommerce-shaped store built from real captured data, and print what happened."""
    import uvloop

    from sovereign.demo import print_report, run_demo

    s = get_settings()
    report = uvloop.run(run_demo(s, console, order_limit=orders, timeout_s=timeout))
    print_report(report, console)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
