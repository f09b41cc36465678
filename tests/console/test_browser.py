"""The console in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright): log in, see a failed
job and retry it, flip degraded mode, approve an edited description draft."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from sovereign.features.descriptions.describe import Described, to_html
from sovereign.features.descriptions.drafts import DraftRepository

from tests.console.conftest import PASSWORD, STORE, USER, Console

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium"),
]


async def chromium_page(**context: object) -> AsyncIterator[object]:
    """One page in Debian's headless Chromium (``context``: Playwright's browser-context options)."""
    playwright = pytest.importorskip("playwright.async_api", reason="needs the playwright package (the dev extra)")
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = await (await browser.new_context(**context)).new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


@pytest.fixture
async def browser_page() -> AsyncIterator[object]:
    async for page in chromium_page(viewport={"width": 1366, "height": 768}):
        yield page


async def test_log_in_retry_a_failed_job_flip_degraded_mode_and_approve_a_draft(svc: Console, browser_page) -> None:
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    job_id = await svc.failed_job()
    await DraftRepository(svc.rt.db.pool).save(STORE, 30, Described("A soft cotton tee.", "llm"), status="draft")

    # Log in: the console sends us to the login page and back.
    await page.goto(f"{svc.url}/console/jobs")
    assert "/console/login" in page.url
    await page.get_by_label("User").fill(USER)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{svc.url}/console/jobs")

    # The failed job, its traceback, and a retry.
    row = page.locator(f'tr[data-job="{job_id}"]')
    await row.wait_for()
    assert "console_test.explode" in await row.inner_text()
    await row.get_by_role("link", name=str(job_id)).click()
    await page.get_by_text("Traceback", exact=True).click()
    assert "RuntimeError: boom on attempt 1" in await page.locator("pre").inner_text()
    svc.fail = False
    await page.get_by_role("button", name="Retry").click()
    await page.get_by_text(f"Job {job_id} is queued again").wait_for()
    assert await page.locator("#job-state").inner_text() == "pending"
    assert (await svc.rt.inspector.get(job_id)).state == "pending"

    # Degraded mode for the fraud feature, with a reason.
    await page.get_by_role("link", name="Degraded mode").click()
    fraud = page.locator('#feature-switches tr[data-feature="fraud"]')
    await fraud.get_by_placeholder("reason").fill("browser drill")
    await fraud.get_by_role("button", name="Force degraded").click()
    await page.get_by_text("feature 'fraud': forced degraded mode on.").wait_for()
    assert "browser drill" in await page.locator('#feature-switches tr[data-feature="fraud"]').inner_text()
    assert svc.rt.gateway.is_degraded("fraud") and not svc.rt.gateway.is_degraded("descriptions")

    # A description draft, edited, approved, written to the store.
    await page.get_by_role("link", name="Descriptions").click()
    draft = page.locator('section[data-product="30"]')
    await draft.get_by_role("textbox", name="description text").fill("A soft cotton tee.\n\nWith a printed logo.")
    await draft.get_by_role("button", name="Approve and publish").click()
    await page.get_by_text("Product 30: description edited and published.").wait_for()
    assert svc.woo.product(30)["description"] == to_html("A soft cotton tee.\n\nWith a printed logo.")
    assert (await DraftRepository(svc.rt.db.pool).get(STORE, 30)).status == "published"

    assert problems == []  # no script errors, no Content-Security-Policy violations
