"""The ops API and the `sovereign degraded|override|ops|console` commands against a real serving process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
import typer

from sovereign.commands import ops as ops_cmd
from sovereign.gateway import ChatRequest, GatewayError
from sovereign.web.console import ConsoleUsers

from tests.console.conftest import Console


async def key(svc: Console, features: list[str]) -> str:
    _, full = await svc.rt.api_keys.create("ops-test", features=features, rate_per_minute=100_000)
    return full


async def call(svc: Console, method: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await svc.http.request(method, path, json=body, headers=headers)


async def test_only_keys_that_list_ops_may_read_or_change_operations(svc: Console) -> None:
    assert (await call(svc, "GET", "/v1/ops/status", None)).status_code == 401
    assert (await call(svc, "GET", "/v1/ops/status", "sk-sov-nope-nope")).status_code == 401
    fraud_only = await key(svc, ["fraud"])
    every_feature = await key(svc, [])
    for token in (fraud_only, every_feature):
        r = await call(svc, "POST", "/v1/ops/degraded", token, {"feature": "*", "on": True})
        assert r.status_code == 403 and r.json()["error"]["code"] == "scope_feature"
    assert not svc.rt.gateway.is_degraded("fraud")

    ops = await key(svc, ["ops"])
    status = (await call(svc, "GET", "/v1/ops/status", ops)).json()
    assert list(status["providers"]) == ["fake"] and status["providers"]["fake"]["breaker"] == "closed"
    assert status["overrides"] == {"force_degraded": {}, "force_provider": None, "pinned_models": {}}
    assert status["queue"] == {"groups": {}, "past_due": 0} and status["degraded"] == []


async def test_playbook_switches_change_what_the_gateway_does(svc: Console) -> None:
    gw, llm, ops = svc.rt.gateway, svc.llm, await key(svc, ["ops"])
    r = await call(svc, "POST", "/v1/ops/degraded", ops, {"feature": "fraud", "on": True, "reason": "lockout drill"})
    assert r.status_code == 200 and r.json()["degraded"] == ["fraud"]
    assert "lockout drill (api key" in r.json()["overrides"]["force_degraded"]["fraud"]
    with pytest.raises(GatewayError) as exc:
        await gw.complete(ChatRequest.simple("x", feature="fraud", timeout=5))
    assert exc.value.reason == "degraded" and llm.calls == 0
    await gw.complete(ChatRequest.simple("x", feature="descriptions", timeout=5))
    assert llm.calls == 1
    r = await call(svc, "POST", "/v1/ops/degraded", ops, {"feature": "fraud", "on": False})
    assert r.json()["degraded"] == [] and not gw.is_degraded("fraud")

    r = await call(svc, "POST", "/v1/ops/pin", ops, {"provider": "fake", "version": "fake-model-0613"})
    assert r.json()["overrides"]["pinned_models"] == {"fake": {"model": "fake-model-0613", "version": "fake-model-0613"}}
    assert r.json()["providers"]["fake"]["model_version"] == "fake-model-0613"
    result = await gw.complete(ChatRequest.simple("y", feature="descriptions", timeout=5))
    assert result.model_version == "fake-model-0613" and llm.completions()[-1].json()["model"] == "fake-model-0613"
    r = await call(svc, "POST", "/v1/ops/pin", ops, {"provider": "fake", "version": "v2", "model": "fake-model"})
    assert r.json()["overrides"]["pinned_models"]["fake"] == {"model": "fake-model", "version": "v2"}
    r = await call(svc, "POST", "/v1/ops/pin", ops, {"provider": "fake", "version": None})
    assert r.json()["overrides"]["pinned_models"] == {}

    r = await call(svc, "POST", "/v1/ops/provider", ops, {"name": "fake"})
    assert r.json()["overrides"]["force_provider"] == "fake"
    r = await call(svc, "POST", "/v1/ops/degraded", ops, {"feature": "*", "on": True})
    assert gw.is_degraded("anything") and r.json()["degraded"] == ["*"]
    r = await call(svc, "POST", "/v1/ops/clear", ops)
    assert r.json()["overrides"] == {"force_degraded": {}, "force_provider": None, "pinned_models": {}}


@pytest.mark.parametrize("path, body, status, code", [
    ("/v1/ops/degraded", {"feature": "fraud"}, 400, "invalid_request"),
    ("/v1/ops/degraded", {"feature": "no spaces please", "on": True}, 400, "invalid_override"),
    ("/v1/ops/degraded", {"feature": "fraud", "on": True, "reason": 5}, 400, "invalid_request"),
    ("/v1/ops/degraded", [1, 2], 400, "invalid_request"),
    ("/v1/ops/provider", {}, 400, "invalid_request"),
    ("/v1/ops/provider", {"name": "elsewhere"}, 404, "unknown_provider"),
    ("/v1/ops/pin", {"provider": "fake"}, 400, "invalid_request"),
    ("/v1/ops/pin", {"provider": "elsewhere", "version": "v1"}, 404, "unknown_provider"),
    ("/v1/ops/pin", {"provider": "fake", "version": ""}, 400, "invalid_override"),
])
async def test_bad_requests_change_nothing(svc: Console, path: str, body: Any, status: int, code: str) -> None:
    ops = await key(svc, ["ops"])
    r = await call(svc, "POST", path, ops, body)
    assert r.status_code == status and r.json()["error"]["code"] == code
    assert svc.rt.gateway.overrides.snapshot() == {"force_degraded": {}, "force_provider": None, "pinned_models": {}}
    raw = await svc.http.post("/v1/ops/degraded", content=b"{not json", headers={"Authorization": f"Bearer {ops}"})
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "invalid_json"


def sovereign(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sovereign.cli", *args], capture_output=True, text=True, input=stdin, timeout=60,
        env={**os.environ, "SOVEREIGN_LOG_JSON": "false", "COLUMNS": "200", **(env or {})},
    )


async def test_the_cli_drives_the_serving_process_through_its_api(svc: Console, capsys: pytest.CaptureFixture) -> None:
    ops = await key(svc, ["ops"])
    env = {"SOVEREIGN_OPS_KEY": ops}
    done = await asyncio.to_thread(sovereign, "degraded", "on", "fraud", "--reason", "cli drill", "--url", svc.url,
                                   env=env)
    assert done.returncode == 0, done.stderr
    assert "forced degraded: fraud (cli drill (api key" in done.stdout and svc.rt.gateway.is_degraded("fraud")
    done = await asyncio.to_thread(sovereign, "override", "clear", "--url", svc.url, "--json", env=env)
    assert done.returncode == 0 and '"force_provider": null' in done.stdout
    assert not svc.rt.gateway.is_degraded("fraud")

    # The same commands in process (each subprocess costs ~2 s): their answers and their failures.
    status = await asyncio.to_thread(ops_cmd.call, "POST", "/v1/ops/pin", svc.url, ops,
                                     {"provider": "fake", "version": "fake-model-0613"})
    ops_cmd.show(status, as_json=False)
    assert "pinned models: fake=fake-model-0613" in capsys.readouterr().out
    for args, code, message in (
        (("POST", "/v1/ops/provider", svc.url, ops, {"name": "nowhere"}), 1, "404: unknown provider"),
        (("GET", "/v1/ops/status", svc.url, None), 2, "no API key"),
        (("GET", "/v1/ops/status", "http://127.0.0.1:9", ops), 1, "cannot reach http://127.0.0.1:9"),
        (("GET", "/v1/ops/status", svc.url, "sk-sov-bad-key"), 1, "401: missing or invalid API key"),
    ):
        with pytest.raises(typer.Exit) as exc:
            await asyncio.to_thread(ops_cmd.call, *args)
        assert exc.value.exit_code == code and message in capsys.readouterr().err.replace("\n", " ")


async def test_console_users_are_added_from_the_cli_with_the_password_on_stdin(svc: Console, db_url: str) -> None:
    env = {"SOVEREIGN_DATABASE_URL": db_url, "SOVEREIGN_EMBEDDED_MODEL": "none"}
    done = await asyncio.to_thread(sovereign, "console", "add-user", "bob", "--password-stdin", env=env,
                                   stdin="a long enough passphrase\n")
    assert done.returncode == 0, done.stderr
    assert await ConsoleUsers(svc.rt.db.pool).authenticate("bob", "a long enough passphrase") == "bob"
    assert (await svc.login("bob", "a long enough passphrase")).status_code == 303
    assert await ConsoleUsers(svc.rt.db.pool).disable("bob")  # `sovereign console disable-user bob`
    assert (await svc.http.get("/console/jobs")).status_code == 303  # the session ended with the user
    assert [(u.name, u.disabled) for u in await ConsoleUsers(svc.rt.db.pool).list()] == [
        ("alice", False), ("bob", True)]
