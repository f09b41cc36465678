"""Console login hardening (issue 12): growing delays per (user, address) that never lock the right password
out, X-Forwarded-For only from trusted proxies, Secure cookies over https."""

from __future__ import annotations

from typing import AsyncIterator

import httpx
import pytest

from sovereign.settings import Settings
from sovereign.web.console.throttle import LoginThrottle

from tests.console.conftest import PASSWORD, USER, Console, console_service, csrf_of


def test_delays_double_per_user_and_address_up_to_a_cap_and_other_addresses_are_untouched() -> None:
    now = [1000.0]
    t = LoginThrottle(free_failures=3, base_delay_s=1.0, max_delay_s=30.0, clock=lambda: now[0])
    attacker, operator = t.keys("alice", "203.0.113.7"), t.keys("alice", "198.51.100.2")
    for _ in range(3):
        assert t.wait_s(attacker) == 0
        t.failed(attacker)
    assert t.wait_s(attacker) == pytest.approx(1.0)
    waits = []
    for _ in range(8):
        now[0] += t.wait_s(attacker)
        t.failed(attacker)
        waits.append(t.wait_s(attacker))
    assert waits == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]  # doubling, then capped
    assert t.wait_s(operator) == 0  # the same user from elsewhere is never held up
    assert t.wait_s(t.keys("bob", "203.0.113.7")) == 0  # nor another user from there (few failures yet)
    t.failed(operator)
    t.succeeded(operator)
    assert t.wait_s(operator) == 0 and t.wait_s(attacker) > 0


def test_spraying_names_from_one_address_is_slowed_and_counters_are_bounded_and_forgotten() -> None:
    now = [0.0]
    t = LoginThrottle(free_failures=3, address_free_failures=20, forget_s=600.0, max_entries=100,
                      clock=lambda: now[0])
    for i in range(20):
        assert t.wait_s(t.keys(f"user{i}", "203.0.113.9")) == 0
        t.failed(t.keys(f"user{i}", "203.0.113.9"))
    assert t.wait_s(t.keys("user99", "203.0.113.9")) > 0  # the address counter
    assert t.wait_s(t.keys("user99", "203.0.113.10")) == 0
    # IPv6: one host holds a /64, so rotating inside it does not reset anything
    for i in range(4):
        t.failed(t.keys("alice", f"2001:db8::{i + 1}"))
    assert t.wait_s(t.keys("alice", "2001:db8::ffff")) > 0 and t.wait_s(t.keys("alice", "2001:db8:1::1")) == 0
    for i in range(5000):  # a flood of addresses
        t.failed(t.keys("x", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"))
    assert len(t) <= 100
    now[0] += 601
    assert len(t) == 0


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1").trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    assert Settings(trusted_proxies='["::1"]').trusted_proxies == ["::1"]
    assert Settings().trusted_proxies == []
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(trusted_proxies="proxy.local")


async def login_as(svc: Console, password: str, headers: dict[str, str]) -> httpx.Response:
    form = await svc.http.get("/console/login", headers=headers)
    # a Secure cookie (https at the proxy) is not sent back over this test's plain http: send it by hand
    token = form.headers["set-cookie"].split(";")[0]
    return await svc.http.post("/console/login", headers={**headers, "Cookie": token}, data={
        "csrf": csrf_of(form.text), "name": USER, "password": password, "next": "/console/jobs"})


async def test_without_trusted_proxies_forwarded_for_is_ignored_and_cookies_follow_the_scheme(svc: Console) -> None:
    svc.app.state.login_throttle = LoginThrottle(base_delay_s=60.0)
    for i in range(3):  # a local caller making up a new X-Forwarded-For each time
        r = await login_as(svc, "not the password", {"X-Forwarded-For": f"198.51.100.{i}"})
        assert r.status_code == 401
    r = await login_as(svc, "still wrong", {"X-Forwarded-For": "198.51.100.77"})
    assert r.status_code == 429  # still one address: 127.0.0.1
    svc.app.state.login_throttle = LoginThrottle()  # a fresh throttle, as after a restart
    r = await login_as(svc, PASSWORD, {"X-Forwarded-Proto": "https"})
    assert r.status_code == 303 and "secure" not in r.headers["set-cookie"].lower()  # plain http, header ignored


@pytest.fixture
async def proxied(db_url: str) -> AsyncIterator[Console]:
    async with console_service(db_url, trusted_proxies=["127.0.0.1"]) as s:
        yield s


async def test_behind_a_trusted_proxy_an_attacker_cannot_keep_the_operator_out(proxied: Console) -> None:
    svc = proxied
    svc.app.state.login_throttle = LoginThrottle(base_delay_s=60.0)
    attacker = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    for _ in range(3):
        assert (await login_as(svc, "guess guess guess", attacker)).status_code == 401
    r = await login_as(svc, PASSWORD, attacker)
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 60  # a delay, not a lockout
    # the operator, from her own address through the same proxy, logs straight in
    r = await login_as(svc, PASSWORD, {"X-Forwarded-For": "198.51.100.2", "X-Forwarded-Proto": "https"})
    assert r.status_code == 303 and r.headers["location"] == "/console/jobs"
    cookie = r.headers["set-cookie"]
    assert "sov_console=" in cookie and "Secure" in cookie  # https at the proxy
    # a client cannot prepend its own entry: the last untrusted hop is the client
    r = await login_as(svc, PASSWORD, {"X-Forwarded-For": "198.51.100.2, 203.0.113.7"})
    assert r.status_code == 429


async def test_cookies_are_secure_when_the_public_url_is_https(db_url: str) -> None:
    async with console_service(db_url, public_url="https://sovereign.shop.example") as svc:
        form = await svc.http.get("/console/login")
        assert "Secure" in form.headers["set-cookie"]
        r = await login_as(svc, PASSWORD, {})
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
