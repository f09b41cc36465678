"""`sovereign secrets`: the key that seals store secrets at rest (status, new-key, rotate)."""

from __future__ import annotations

import typer

from sovereign.commands.common import console, err, run, runtime
from sovereign.settings import get_settings

app = typer.Typer(help="Store secrets sealed at rest (AES-GCM).", no_args_is_help=True)


@app.command("new-key")
def new_key() -> None:
    """Print a fresh key for SOVEREIGN_SECRET_KEY (nothing is changed)."""
    from sovereign.store.secrets_box import new_key as make

    console.print(make())


@app.command()
def status() -> None:
    """Where the key comes from, and how many stored secrets each key sealed."""

    async def go() -> None:
        async with runtime() as rt:
            box = rt.stores.box
            counts = await rt.stores.secret_key_ids()
            s = get_settings()
            where = "SOVEREIGN_SECRET_KEY" if s.secret_key else f"key file {s.secret_key_file}"
            console.print(f"key: {where}; sealing with {box.current_id if box else '-'}")
            for kid, n in sorted(counts.items()):
                console.print(f"  {kid}: {n} secret(s)")

    run(go())


@app.command()
def rotate() -> None:
    """Reseal every store secret under a new key. Key file: a new key is made, the old one kept
    until every row is rewritten, then dropped. SOVEREIGN_SECRET_KEY: set the new key there and the
    old one in SOVEREIGN_SECRET_KEYS_OLD, run this, then unset SOVEREIGN_SECRET_KEYS_OLD."""
    from sovereign.store.secret_rotation import rotate_key_file, rotate_to_current

    s = get_settings()

    async def go() -> None:
        async with runtime() as rt:
            if s.secret_key:
                out = await rotate_to_current(rt.stores)
                console.print(f"resealed {out.resealed} store(s) under SOVEREIGN_SECRET_KEY ({out.key_id})")
                if out.retired:
                    console.print(f"every secret opens with the new key: unset SOVEREIGN_SECRET_KEYS_OLD ({', '.join(out.retired)})")
                elif not out.resealed and not out.totp_resealed:
                    err.print("nothing to rotate: to rotate, put a new key (`sovereign secrets new-key`) in "
                              "SOVEREIGN_SECRET_KEY and the current one in SOVEREIGN_SECRET_KEYS_OLD, then run this again")
            else:
                out = await rotate_key_file(rt.stores, s.secret_key_file)
                console.print(f"resealed {out.resealed} store(s) under key {out.key_id}; "
                              f"{s.secret_key_file} now holds only that key (retired: {', '.join(out.retired) or '-'})")
            if out.totp_resealed:
                console.print(f"resealed the TOTP secrets of {out.totp_resealed} console user(s)")

    run(go())
