"""Console users, login, sessions and CSRF, over real HTTP against the real service."""

from __future__ import annotations

import pytest

from sovereign.web.console import ConsoleUsers, Sessions, UserError
from sovereign.web.console.guard import LoginThrottle
from sovereign.web.console.passwords import check_strength, hash_password, verify_password

from tests.console.conftest import PASSWORD, USER, Console, csrf_of


def test_passwords_are_salted_scrypt_and_checked_in_constant_time_shape() -> None:
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt$16384$8$1$") and "correct" not in a
    assert verify_password("correct horse battery", a) and verify_password("correct horse battery", b)
    assert not verify_password("correct horse batterY", a)
    assert not verify_password("anything", "plain-text-password") and not verify_password("x", "scrypt$1$2")
    assert check_strength("short") and check_strength("aaaaaaaaaaaaaaaa") and check_strength("a long passphrase") is None
    assert "too easy to guess" in (check_strength("password1234") or "")
    assert check_strength("robert.smith1", "robert.smith") and check_strength("x" * 2000 + "y") is not None


async def test_users_are_stored_hashed_and_replaced_passwords_end_sessions(svc: Console) -> None:
    pool = svc.rt.db.pool
    users = ConsoleUsers(pool)
    stored = await pool.fetchval("SELECT password_hash FROM sovereign_console_users WHERE name = $1", USER)
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    with pytest.raises(UserError, match="exists"):
        await users.add(USER, "another long passphrase")
    with pytest.raises(UserError, match="at least"):
        await users.add("bob", "short")
    with pytest.raises(UserError, match="too easy to guess"):
        await users.add("bob", "password1234")
    with pytest.raises(UserError, match="too easy to guess"):
        await users.add("bob", "qwertyuiop123")
    with pytest.raises(UserError, match="user name"):
        await users.add("bob smith", "a long passphrase")
    assert await users.authenticate(USER, PASSWORD) == USER
    assert await users.authenticate(USER, "wrong password!!") is None
    assert await users.authenticate("nobody", PASSWORD) is None

    session, token = await Sessions(pool).create(USER)
    assert (await Sessions(pool).get(token)).csrf == session.csrf
    assert await pool.fetchval("SELECT count(*) FROM sovereign_console_sessions WHERE token_hash = $1", token) == 0
    await users.add(USER, "a brand new passphrase", replace=True)
    assert await Sessions(pool).get(token) is None
    assert await users.authenticate(USER, PASSWORD) is None
    assert await users.authenticate(USER, "a brand new passphrase") == USER
    assert await users.disable(USER) and await users.authenticate(USER, "a brand new passphrase") is None
    assert [u.disabled for u in await users.list()] == [True]


async def test_every_page_needs_a_login_and_comes_back_after_it(svc: Console) -> None:
    for path in ("/console/", "/console/jobs", "/console/providers", "/console/degraded", "/console/fraud",
                 "/console/descriptions", "/console/audit", "/console/jobs/1"):
        r = await svc.http.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next="), path
    svc.rt.gateway.overrides.force_provider("fake")
    r = await svc.http.post("/console/degraded/clear", data={"csrf": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")  # no session: nothing done
    assert svc.rt.gateway.overrides.forced_provider == "fake"

    form = await svc.http.get("/console/login?next=%2Fconsole%2Fdegraded")
    assert form.status_code == 200 and 'value="/console/degraded"' in form.text
    assert "default-src 'none'" in form.headers["content-security-policy"]
    assert form.headers["x-frame-options"] == "DENY"
    r = await svc.http.post("/console/login", data={
        "csrf": csrf_of(form.text), "name": USER, "password": PASSWORD, "next": "/console/degraded"})
    assert r.status_code == 303 and r.headers["location"] == "/console/degraded"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    page = await svc.http.get("/console/degraded")
    assert page.status_code == 200 and USER in page.text and "Degraded mode" in page.text


async def test_wrong_passwords_are_refused_then_throttled_and_next_never_leaves_the_console(svc: Console) -> None:
    r = await svc.login(password="not the password")
    assert r.status_code == 401 and "Wrong user name or password" in r.text and "sov_console=" not in r.headers.get(
        "set-cookie", "")
    r = await svc.login(name="nobody")
    assert r.status_code == 401
    svc.app.state.login_throttle = LoginThrottle(base_delay_s=60.0)
    for _ in range(3):
        await svc.login(password="still not it")
    r = await svc.login()  # the right password, but this user had three failures from here
    assert r.status_code == 429 and "Too many failed logins" in r.text and int(r.headers["retry-after"]) > 30

    svc.app.state.login_throttle = LoginThrottle()  # a fresh throttle, as after a restart
    form = await svc.http.get("/console/login")
    r = await svc.http.post("/console/login", data={
        "csrf": csrf_of(form.text), "name": USER, "password": PASSWORD, "next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/console/"


async def test_login_and_every_post_need_their_csrf_token_and_the_same_origin(svc: Console) -> None:
    await svc.http.get("/console/login")
    r = await svc.http.post("/console/login", data={"name": USER, "password": PASSWORD})
    assert r.status_code == 400 and "expired" in r.text  # no login token: not even checked

    assert (await svc.login()).status_code == 303
    token = await svc.csrf("/console/degraded")
    gateway = svc.rt.gateway
    r = await svc.http.post("/console/degraded/feature", data={"feature": "fraud", "on": "1"})
    assert r.status_code == 403
    r = await svc.http.post("/console/degraded/feature", data={"feature": "fraud", "on": "1", "csrf": token + "x"})
    assert r.status_code == 403
    r = await svc.http.post("/console/degraded/feature", data={"feature": "fraud", "on": "1", "csrf": token},
                            headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-site" in r.text
    r = await svc.http.post("/console/degraded/feature", data={"feature": "fraud", "on": "1", "csrf": token},
                            headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert not gateway.is_degraded("fraud")

    r = await svc.http.post("/console/degraded/feature", data={"feature": "fraud", "on": "1", "csrf": token},
                            headers={"Origin": svc.url, "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 303 and gateway.is_degraded("fraud")

    # Log out: the session is gone server-side, its cookie no longer opens anything.
    cookie = svc.http.cookies.get("sov_console")
    r = await svc.http.post("/console/logout", data={"csrf": token})
    assert r.status_code == 303
    assert await Sessions(svc.rt.db.pool).get(cookie) is None
    svc.http.cookies.set("sov_console", cookie, path="/console")
    assert (await svc.http.get("/console/jobs")).status_code == 303
