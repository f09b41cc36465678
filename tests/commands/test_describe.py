"""`sovereign describe`: WooCommerce's sample product CSV with the six descriptions this store has empty,
filled by the template, by a fake LLM and (model-marked) by the embedded model; interrupted with a real
SIGINT and resumed. The command runs as a real process where the process is the point."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import AsyncIterator

import pytest

from sovereign.commands.describe import describe_file
from sovereign.domain.grounded import fact_sheet, grounded_bounds
from sovereign.domain.shop_language import shop_language
from sovereign.domain.descriptions import facts, template, validate
from sovereign.domain.products import Product, encode_csv_text
from sovereign.gateway import Gateway, ProviderConfig
from sovereign.models import TEST_MODEL_ID
from sovereign_testkit.fake_llm import FakeLLM, Step
from sovereign_testkit.fixtures import fixtures_dir, load_json
from sovereign.woo.product_csv import ProductCsv, progress_path

GOOD = (
    "Easy to wear and easy to like, this is a piece you will reach for again and again.\n\n"
    "It sits well with the rest of the range, and it makes a thoughtful gift too."
)


def empty_in_store() -> set[str]:
    """The sample products whose description is empty in the captured store (products.json)."""
    sample = {p.name for _, p in ProductCsv.read(fixtures_dir() / "sample_products.csv").products()}
    return {p["name"] for p in load_json("products.json") if not p["description"].strip() and p["name"] in sample}


@pytest.fixture
def blank_csv(tmp_path: Path) -> Path:
    """sample_products.csv as this store would export it: the six products' Description cells empty."""
    names = empty_in_store()
    assert names == {"Hoodie with Logo", "Belt", "Hoodie with Pocket", "Polo", "T-Shirt with Logo", "WordPress Pennant"}
    doc = ProductCsv.read(fixtures_dir() / "sample_products.csv")
    path = tmp_path / "products.csv"
    doc.write(path, {i: "" for i, p in doc.products() if p.name in names})
    return path


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def assert_only_descriptions_filled(before: Path, after: Path, names: set[str]) -> dict[str, str]:
    """Header, every other cell and every other line byte-identical; returns the filled texts by name."""
    old, new = rows(before), rows(after)
    assert new[0] == old[0] and len(new) == len(old)
    col, name_col = old[0].index("Description"), old[0].index("Name")
    filled: dict[str, str] = {}
    changed: set[int] = set()
    for index, (a, b) in enumerate(zip(old[1:], new[1:]), start=1):
        if a[name_col] in names:
            assert a[col] == "" and b[col] != ""
            assert a[:col] + a[col + 1 :] == b[:col] + b[col + 1 :]
            filled[a[name_col]] = b[col]
            changed.add(index)
        else:
            assert a == b
    assert set(filled) == names
    raw_old, raw_new = before.read_bytes(), after.read_bytes()
    assert raw_new.startswith(codecs.BOM_UTF8)
    lines_old, lines_new = raw_old.splitlines(keepends=True), raw_new.splitlines(keepends=True)
    assert len(lines_old) == len(lines_new) == len(old)  # one record per line in this file
    assert all(a == b for i, (a, b) in enumerate(zip(lines_old, lines_new)) if i not in changed)
    return filled


def products_by_name(path: Path, currency: str | None = None) -> dict[str, Product]:
    return {p.name: p for _, p in ProductCsv.read(path).products(currency=currency)}


async def run_cli(*args: str, env: dict[str, str], signal_when: Path | None = None) -> tuple[int, str, str]:
    """Run `python -m sovereign.cli ...`; with ``signal_when``, SIGINT it once that progress file has 2 rows."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign.cli", *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    if signal_when is not None:
        while not (signal_when.exists() and len(signal_when.read_text().splitlines()) >= 3):  # header + 2 rows
            assert proc.returncode is None, "finished before it could be interrupted"
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    return proc.returncode or 0, out.decode(), err.decode()


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"SOVEREIGN_DATA_DIR": str(tmp_path / "data"), "SOVEREIGN_EMBEDDED_MODEL": "none", "COLUMNS": "200", **extra}


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(reply=GOOD) as fake:
        yield fake


def fake_provider(fake: FakeLLM) -> ProviderConfig:
    return ProviderConfig(
        name="fake", kind="openai_compatible", endpoint=fake.url + "/v1", model="m", jurisdiction="local",
        data_classes=["public"], max_retries=0,
    )


async def test_fallback_only_fills_the_six_with_the_template(blank_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "described.csv"
    code, stdout, stderr = await run_cli("describe", str(blank_csv), "-o", str(out), "--fallback-only", env=cli_env(tmp_path))
    assert code == 0, stderr
    filled = assert_only_descriptions_filled(blank_csv, out, empty_in_store())
    products = products_by_name(out)
    for name, cell in filled.items():
        assert cell == encode_csv_text(template(facts(products[name])))
        assert "\n" not in cell and "\\n" in cell  # WooCommerce's exporter encoding of paragraph breaks
    assert "0 by the model, 6 by the template, 0 resumed" in stdout and "7 variations left alone" not in stdout
    assert not progress_path(out).exists()


async def test_a_german_shop_gets_german_fallbacks_and_an_unknown_language_is_refused(
    blank_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "beschrieben.csv"
    code, stdout, stderr = await run_cli("describe", str(blank_csv), "-o", str(out), "--fallback-only",
                                         "--language", "de_DE", env=cli_env(tmp_path))
    assert code == 0, stderr
    filled = assert_only_descriptions_filled(blank_csv, out, empty_in_store())
    products = products_by_name(out)
    for name, cell in filled.items():
        assert cell == encode_csv_text(template(facts(products[name]), None, shop_language("de")))
    assert any("aus unserem Sortiment" in cell for cell in filled.values())
    assert not any("from our" in cell or " or " in cell for cell in filled.values())

    bad = tmp_path / "nope.csv"
    code, stdout, stderr = await run_cli("describe", str(blank_csv), "-o", str(bad), "--fallback-only",
                                         "--language", "Klingon", env=cli_env(tmp_path))
    assert code == 2 and "not a supported language" in stdout + stderr and not bad.exists()


async def test_the_model_path_fills_them_through_the_gateway(blank_csv: Path, tmp_path: Path, llm: FakeLLM) -> None:
    out = tmp_path / "described.csv"
    gateway = Gateway([fake_provider(llm)])
    try:
        run = await describe_file(blank_csv, out, gateway=gateway, tone="warm", currency="USD", grounded=False)
    finally:
        await gateway.aclose()
    filled = assert_only_descriptions_filled(blank_csv, out, empty_in_store())
    assert set(filled.values()) == {encode_csv_text(GOOD)}
    assert run.sources == {"llm": 6} and run.report.eligible == 6 and run.report.generated == 6
    assert llm.calls == 6 and all("warm" in r.json()["messages"][0]["content"] for r in llm.completions())
    assert all(r.json()["max_tokens"] == 400 for r in llm.completions())


async def test_include_variations_describes_empty_variation_rows(tmp_path: Path) -> None:
    doc = ProductCsv.read(fixtures_dir() / "sample_products.csv")
    variation = next(i for i, p in doc.products() if p.is_variation)
    src = tmp_path / "v.csv"
    doc.write(src, {variation: ""})
    skipped = await describe_file(src, tmp_path / "a.csv", gateway=None)
    assert (skipped.report.eligible, skipped.report.skipped_variations) == (0, 1)
    included = await describe_file(src, tmp_path / "b.csv", gateway=None, include_variations=True)
    assert included.report.eligible == 1
    product = ProductCsv.read(tmp_path / "b.csv").row(variation)
    assert "Color: Red." in product["Description"].replace("\\n", " ")


async def test_an_interrupted_run_continues_where_it_stopped(blank_csv: Path, tmp_path: Path, llm: FakeLLM) -> None:
    out = tmp_path / "described.csv"
    llm.set_mode(Step("slow", delay=0.4))
    env = cli_env(tmp_path, SOVEREIGN_PROVIDERS=json.dumps([fake_provider(llm).model_dump()]))
    args = ("describe", str(blank_csv), "-o", str(out), "--free-text")
    code, _, stderr = await run_cli(*args, env=env, signal_when=progress_path(out))
    assert code == 130, stderr
    assert "run the same command again to continue" in stderr
    assert not out.exists() and progress_path(out).exists()
    done_first = len(progress_path(out).read_text().splitlines()) - 1
    calls_first = llm.calls
    assert 2 <= done_first < 6

    llm.set_mode("fast")
    code, stdout, stderr = await run_cli(*args, env=env)
    assert code == 0, stderr
    assert f"{6 - done_first} by the model, 0 by the template, {done_first} resumed" in stdout
    assert llm.calls - calls_first == 6 - done_first
    filled = assert_only_descriptions_filled(blank_csv, out, empty_in_store())
    assert set(filled.values()) == {encode_csv_text(GOOD)}
    assert not progress_path(out).exists()


# ---------------------------------------------------------------------- the embedded model


async def test_the_embedded_model_fills_the_six(blank_csv: Path, tmp_path: Path, test_model_dir: Path) -> None:
    out = tmp_path / "described.csv"
    env = cli_env(tmp_path, SOVEREIGN_MODELS_DIR=str(test_model_dir), SOVEREIGN_EMBEDDED_MODEL=TEST_MODEL_ID)
    code, stdout, stderr = await run_cli(
        "describe", str(blank_csv), "-o", str(out), "--currency", "USD", "--max-tokens", "256", env=env
    )
    assert code == 0, stderr
    filled = assert_only_descriptions_filled(blank_csv, out, empty_in_store())
    # The model answered every product (no gateway failure); each answer was kept only if it checked out.
    assert "gateway_" not in stdout and "fallback_only" not in stdout, stdout
    products = products_by_name(out, currency="USD")
    for name in filled:
        text = products[name].description
        f = facts(products[name])
        # grounded sentences may be short when the facts are thin: the bounds grow with the facts
        assert validate(text, f, grounded_bounds(fact_sheet(f))).ok or text == template(f), (name, text)
