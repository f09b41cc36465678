"""The optional TOTP second factor of console logins (issue 12), over real HTTP against the real service,
with the CLI run as a subprocess on the same database."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pyotp
import pytest

from sovereign.web.console import UserError
from sovereign.web.console.guard import LoginThrottle
from sovereign.web.console.totp import SecondFactor, second_factor

from tests.console.conftest import PASSWORD, USER, Console, console_service, csrf_of
from tests.ops.test_ops_api import sovereign


async def login(svc: Console, code: str | None, password: str = PASSWORD) -> httpx.Response:
    async with httpx.AsyncClient(base_url=svc.url, timeout=15.0) as browser:  # a fresh browser each time
        form = await browser.get("/console/login")
        data = {"csrf": csrf_of(form.text), "name": USER, "password": password, "next": "/console/jobs"}
        if code is not None:
            data["code"] = code
        return await browser.post("/console/login", data=data)


def wrong_code(secret: str) -> str:
    """A well-formed code that is none of the codes valid now (previous, current or next step)."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time())
    valid = {totp.generate_otp(step + i) for i in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in valid)


async def enable_from_cli(svc: Console, db_url: str) -> str:
    env = {"SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_EMBEDDED_MODEL": "none"}
    done = await asyncio.to_thread(sovereign, "console", "totp", "enable", USER, env=env)
    assert done.returncode == 0, done.stderr
    uri = re.search(r"otpauth://\S+", done.stdout)
    secret = re.search(r"secret \(typed in by hand\): ([A-Z2-7]+)", done.stdout)
    assert uri and secret, done.stdout
    assert pyotp.parse_uri(uri.group(0)).secret == secret.group(1) and "issuer=Sovereign" in uri.group(0)
    return secret.group(1)


async def test_login_with_totp_needs_a_fresh_code_and_the_secret_is_sealed(svc: Console, db_url: str) -> None:
    secret = await enable_from_cli(svc, db_url)
    row = await svc.rt.db.pool.fetchrow("SELECT * FROM sovereign_console_users WHERE name = $1", USER)
    assert row["totp_secret"].startswith("v1:") and secret not in str(dict(row))  # sealed, never plaintext

    r = await login(svc, None)  # the password alone is no longer enough
    assert r.status_code == 401 and "sov_console=" not in r.headers.get("set-cookie", "")
    code = pyotp.TOTP(secret).now()
    r = await login(svc, code[:3] + " " + code[3:])  # as an app shows it
    assert r.status_code == 303 and r.headers["location"] == "/console/jobs" and "sov_console=" in r.headers["set-cookie"]
    r = await login(svc, code)  # the same code again: a replay
    assert r.status_code == 401 and "Wrong user name, password or code" in r.text

    users = await asyncio.to_thread(sovereign, "console", "users", env={"SOVEREIGN_DATABASE_URL": db_url,
                                                                          "SOVEREIGN_EMBEDDED_MODEL": "none"})
    assert users.returncode == 0 and "TOTP" in users.stdout, users.stdout + users.stderr
    off = await asyncio.to_thread(sovereign, "console", "totp", "disable", USER, env={
        "SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_EMBEDDED_MODEL": "none"})
    assert off.returncode == 0, off.stderr
    assert (await login(svc, None)).status_code == 303  # the password alone again


async def test_wrong_codes_count_in_the_login_throttle_like_wrong_passwords(svc: Console, db_url: str) -> None:
    secret = await enable_from_cli(svc, db_url)
    svc.app.state.login_throttle = LoginThrottle(base_delay_s=60.0)
    for _ in range(3):  # the right password, a wrong code
        r = await login(svc, wrong_code(secret))
        assert r.status_code == 401 and "Wrong user name, password or code" in r.text
    r = await login(svc, pyotp.TOTP(secret).now())
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 60  # delayed, not locked out
    svc.app.state.login_throttle = LoginThrottle()
    assert (await login(svc, pyotp.TOTP(secret).now())).status_code == 303


async def test_codes_are_checked_within_one_step_of_drift_and_never_twice(svc: Console) -> None:
    now = [1_800_000_015.0]
    factor = SecondFactor(svc.rt.db.pool, svc.rt.stores.box, clock=lambda: now[0])
    secret = (await factor.enable(USER)).secret
    totp = pyotp.TOTP(secret)
    with pytest.raises(UserError, match="already has"):
        await factor.enable(USER)
    with pytest.raises(UserError, match="no console user"):
        await factor.enable("nobody")
    step = totp.timecode(now[0])
    assert not await factor.check(USER, totp.generate_otp(step - 2))  # too old
    assert not await factor.check(USER, "12345") and not await factor.check(USER, "abcdef")
    assert await factor.check(USER, totp.generate_otp(step - 1))  # the previous step still counts
    assert not await factor.check(USER, totp.generate_otp(step - 1))  # but only once
    assert await factor.check(USER, totp.generate_otp(step))
    now[0] += 30
    assert not await factor.check(USER, totp.generate_otp(step))  # still in the window, already used
    assert not await factor.check(USER, totp.generate_otp(step - 1))  # older than the last one used
    assert await factor.check(USER, totp.generate_otp(step + 1))
    # a sealed secret copied to another user's row does not open there
    await svc.rt.db.pool.execute(
        "INSERT INTO sovereign_console_users (name, password_hash, totp_secret) "
        "SELECT 'mallory', password_hash, totp_secret FROM sovereign_console_users WHERE name = $1", USER)
    with pytest.raises(Exception, match="altered or moved"):
        await second_factor(svc.rt.db.pool, svc.rt.stores.box).check("mallory", totp.generate_otp(step + 1))


async def test_require_totp_refuses_users_without_a_second_factor_with_a_clear_message(db_url: str) -> None:
    async with console_service(db_url, console_require_totp=True) as svc:
        r = await login(svc, None)
        assert r.status_code == 403 and "sov_console=" not in r.headers.get("set-cookie", "")
        assert "requires a second factor" in r.text and f"sovereign console totp enable {USER}" in r.text
        r = await login(svc, None, password="not the password at all")
        assert r.status_code == 401  # a wrong password learns nothing about the second factor
        secret = (await second_factor(svc.rt.db.pool, svc.rt.stores.box).enable(USER)).secret
        r = await login(svc, pyotp.TOTP(secret).now())
        assert r.status_code == 303 and "sov_console=" in r.headers["set-cookie"]


async def test_a_key_rotation_reseals_totp_secrets_so_logins_keep_working(svc: Console) -> None:
    import os

    from sovereign.store.secret_rotation import rotate_to_current
    from sovereign.store.secrets_box import SecretBox, key_id, new_key, parse_key

    secret = (await second_factor(svc.rt.db.pool, svc.rt.stores.box).enable(USER)).secret
    current = parse_key(os.environ["SOVEREIGN_SECRET_KEY"], "the test key")
    fresh = parse_key(new_key(), "a new key")
    svc.rt.stores.box = SecretBox([fresh, current])  # SOVEREIGN_SECRET_KEY=new, SOVEREIGN_SECRET_KEYS_OLD=current
    out = await rotate_to_current(svc.rt.stores)
    assert out.totp_resealed == 1
    sealed = await svc.rt.db.pool.fetchval("SELECT totp_secret FROM sovereign_console_users WHERE name = $1", USER)
    assert sealed.split(":")[1] == key_id(fresh)
    svc.rt.stores.box = SecretBox([fresh])  # the old key unset
    assert (await login(svc, pyotp.TOTP(secret).now())).status_code == 303
