"""`sovereign keys create/list/revoke` against a real database; the printed key works on the API."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
from typer.testing import CliRunner

from sovereign.cli import app
from sovereign.settings import get_settings


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("SOVEREIGN_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_create_list_revoke(cli: CliRunner, db_url: str) -> None:
    made = cli.invoke(app, ["keys", "create", "shop-bot", "--models", "local,cloud", "--data-class", "customer_personal",
                            "--features", "gateway,fraud", "--rate", "30"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("sk-sov-")
    listed = cli.invoke(app, ["keys", "list", "--json"])
    [key] = json.loads(listed.output)
    assert key == {"id": secret.split("-")[2], "name": "shop-bot", "models": ["local", "cloud"],
                   "data_class": "customer_personal", "features": ["gateway", "fraud"], "rate_per_minute": 30,
                   "revoked": False}
    assert secret not in listed.output
    table = cli.invoke(app, ["keys", "list"])
    assert "shop-bot" in table.output and "active" in table.output
    assert cli.invoke(app, ["keys", "revoke", key["id"]]).exit_code == 0
    assert json.loads(cli.invoke(app, ["keys", "list", "--json"]).output)[0]["revoked"] is True
    again = cli.invoke(app, ["keys", "revoke", key["id"]])
    assert again.exit_code == 1 and "no active key" in again.output
