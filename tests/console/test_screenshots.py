"""Every console page in a real headless Chromium after a demo run and a total-outage drill (``drilled.py``):
each page loads with no script error, no Content-Security-Policy violation and no failed request; each chart is
there with the series it should draw; and each page is photographed at 1366x900.

The pictures go to a temporary folder, or to ``docs/img/console-<page>.png`` with ``SOVEREIGN_SCREENSHOTS=1``
(``scripts/screenshots``), which the README and docs/operations.md show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

import pytest

from sovereign.drills.scenarios import CLOUD, LOCAL
from sovereign.store.forecast_series import ForecastSeriesRepository
from sovereign.web.console.forecast_view import run_outs

from tests.console.drilled import PASSWORD, STORE, USER, Drilled, drilled_service
from tests.console.test_browser import CHROMIUM, chromium_page

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
VIEWPORT = {"width": 1366, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium"),
]

Series = frozenset[str]


@dataclass(frozen=True)
class Expect:
    """A chart's series: exactly ``exact``, or at least ``at_least`` (groups and outcomes depend on the run)."""

    exact: Series | None = None
    at_least: Series = frozenset()
    intervals: tuple[str, ...] = ()  # kinds of shaded periods the chart must mark (breaker, degraded, forced)

    def check(self, chart: str, found: set[str]) -> None:
        if self.exact is not None:
            assert found == self.exact, f"chart {chart}: series {sorted(found)}, expected {sorted(self.exact)}"
        assert self.at_least <= found, f"chart {chart}: series {sorted(found)}, expected at least {sorted(self.at_least)}"


def exact(*names: str) -> Expect:
    return Expect(exact=frozenset(names))


@dataclass(frozen=True)
class Page:
    name: str  # docs/img/console-<name>.png
    path: str
    shows: str  # a selector that must be on the page (its own content, not the frame)
    charts: dict[str, Expect] = field(default_factory=dict)
    words: str = ""  # text the page must contain


PROVIDER_MARKS = ("breaker", "degraded")
OVERVIEW = {
    "availability": Expect(exact=frozenset({CLOUD, LOCAL}), intervals=PROVIDER_MARKS),
    "latency": Expect(exact=frozenset({f"{CLOUD} p50", f"{CLOUD} p95", f"{LOCAL} p50", f"{LOCAL} p95"}),
                      intervals=PROVIDER_MARKS),
    "queue-depth": Expect(at_least=frozenset({"fraud", "webhooks", "descriptions"})),
    "job-latency": Expect(at_least=frozenset({"fraud p50", "fraud p95", "webhooks p50", "webhooks p95"})),
    "webhooks": Expect(at_least=frozenset({"scheduled"})),
    "slo-budget": exact("budget left"),
}


def pages(svc: Drilled, forecast_ids: list[int]) -> list[Page]:
    forecasts: dict[str, Expect] = {}
    for pid in forecast_ids:
        forecasts[f"sales-{STORE}-{pid}"] = exact("sold", "forecast", "95% band")
        forecasts[f"demand-{STORE}-{pid}"] = exact("demand so far", "95% band")
    return [
        Page("overview", "/console/overview", "#state-words", OVERVIEW, words=f"All AI features running on {CLOUD}"),
        Page("overview-7d", "/console/overview?window=7d", "#state-words", OVERVIEW, words="last 7 days"),
        Page("jobs", "/console/jobs", f'#jobs tr[data-job="{svc.failed_job}"]'),
        Page("job", f"/console/jobs/{svc.failed_job}", "#job-state", words="RuntimeError: boom on attempt 1"),
        Page("providers", "/console/providers", f'#providers tr[data-provider="{LOCAL}"]'),
        Page("degraded", "/console/degraded", '#feature-switches tr[data-feature="fraud"]'),
        Page("fraud", "/console/fraud", "#held tr[data-order]", {
            "holds": exact("held"), "scores": exact("below", "above"), "releases": exact("released"),
        }),
        Page("descriptions", "/console/descriptions", "section.draft[data-product]", {
            "draft-rate": exact("by a model", "template"), "refusals": exact("drafts"),
            "draft-latency": Expect(at_least=frozenset({f"{CLOUD}/cloud-model"})),
        }),
        Page("images", "/console/images", "main h1"),
        Page("forecasts", "/console/forecasts", "#run-outs tr[data-product]", forecasts),
        Page("audit", "/console/audit", "#audit tbody tr"),
    ]


@pytest.fixture
async def drilled(db_url: str, tmp_path: Path) -> AsyncIterator[Drilled]:
    async with drilled_service(db_url, tmp_path) as svc:
        yield svc


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    if os.environ.get("SOVEREIGN_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    out = tmp_path / "img"
    out.mkdir()
    return out


@pytest.fixture
async def browser_page() -> AsyncIterator[object]:
    async for page in chromium_page(viewport=VIEWPORT, device_scale_factor=1, locale="en-US", timezone_id="UTC"):
        yield page


def watch(page: object) -> list[str]:
    """Everything that went wrong in the page: script errors, CSP violations, failed or refused requests."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")  # type: ignore[attr-defined]
            if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))  # type: ignore[attr-defined]
    page.on("requestfailed", lambda r: problems.append(  # type: ignore[attr-defined]
        f"request failed: {r.method} {r.url}: {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.request.method} {r.url}")  # type: ignore[attr-defined]
            if r.status >= 400 else None)
    return problems


async def series_of(page: object, chart_id: str) -> tuple[set[str], set[str], str, int]:
    """The chart's drawn series (``data-series`` inside its SVG), its shaded interval kinds, its text
    alternative and the rows of its numbers table."""
    fig = page.locator(f'figure.chart[data-chart="{chart_id}"]')  # type: ignore[attr-defined]
    assert await fig.count() == 1, f"no chart {chart_id} on the page"
    svg = fig.locator(f'svg[data-chart="{chart_id}"][role="img"]')
    assert await svg.count() == 1, f"chart {chart_id}: no SVG"
    names = set(await svg.locator("[data-series]").evaluate_all("els => els.map(e => e.dataset.series)"))
    kinds = set(await svg.locator("rect.interval").evaluate_all(
        "els => els.flatMap(e => [...e.classList].filter(c => c !== 'interval'))"))
    desc = await svg.locator("desc").text_content() or ""
    rows = await fig.locator("details table tbody tr").count()
    return names, kinds, desc, rows


async def log_in(page: object, svc: Drilled, shots: Path, problems: list[str]) -> None:
    await page.goto(f"{svc.url}/console/overview")  # type: ignore[attr-defined]
    assert "/console/login" in page.url  # type: ignore[attr-defined]
    await page.screenshot(path=str(shots / "console-login.png"))  # type: ignore[attr-defined]
    await page.get_by_label("User").fill(USER)  # type: ignore[attr-defined]
    await page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    await page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    await page.wait_for_url(f"{svc.url}/console/overview")  # type: ignore[attr-defined]


async def test_every_console_page_after_a_demo_and_a_drill(drilled: Drilled, browser_page, shots: Path) -> None:
    page, svc = browser_page, drilled
    problems = watch(page)
    # The state the run left: what the pages must show.
    items = await ForecastSeriesRepository(svc.rt.db.pool).list(STORE)
    short = [r.series.product_id for r in run_outs(items)]
    assert short, "the forecast found no product running out"
    shown = short[:6]
    await log_in(page, svc, shots, problems)

    taken: list[str] = ["console-login.png"]
    for p in pages(svc, shown):
        before = len(problems)
        response = await page.goto(f"{svc.url}{p.path}")
        assert response is not None and response.status == 200, (p.path, response and response.status)
        assert "/console/login" not in page.url, p.path
        await page.locator(p.shows).first.wait_for()
        if p.words:
            assert p.words in await page.locator("main").inner_text(), (p.path, p.words)
        on_page = set(await page.locator("figure.chart[data-chart]").evaluate_all(
            "els => els.map(e => e.dataset.chart)"))
        assert set(p.charts) <= on_page, (p.path, sorted(set(p.charts) - on_page))
        for chart_id, expect in p.charts.items():
            names, kinds, desc, rows = await series_of(page, chart_id)
            expect.check(f"{p.name}/{chart_id}", names)
            for kind in expect.intervals:
                assert kind in kinds, f"chart {p.name}/{chart_id}: no {kind} period marked (found {sorted(kinds)})"
            assert desc.strip(), f"chart {chart_id}: no text alternative"
            assert rows > 0, f"chart {chart_id}: no numbers"
        await page.screenshot(path=str(shots / f"console-{p.name}.png"))
        taken.append(f"console-{p.name}.png")
        if p.charts and p.name not in ("overview", "overview-7d"):  # charts below the fold: a second picture
            await page.evaluate("document.querySelector('div.charts').scrollIntoView()")
            await page.screenshot(path=str(shots / f"console-{p.name}-charts.png"))
            taken.append(f"console-{p.name}-charts.png")
        assert problems[before:] == [], (p.path, problems[before:])

    # What the drill left, as the overview says it: the breakers opened and fraud was degraded, all recovered.
    await page.goto(f"{svc.url}/console/overview")
    avail = page.locator('figure.chart[data-chart="availability"] svg')
    marked = " ".join(await avail.locator("rect.interval title").evaluate_all("els => els.map(e => e.textContent)"))
    assert f"{CLOUD} breaker open" in marked and f"{LOCAL} breaker open" in marked and "fraud degraded (SLO)" in marked
    # The demo's held orders: one released by a reviewer, the others still waiting.
    await page.goto(f"{svc.url}/console/fraud")
    assert await page.locator(f'#held tr[data-order="{svc.released}"]').count() == 0
    assert problems == []
    for name in taken:
        png = (shots / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == VIEWPORT["width"]
        assert int.from_bytes(png[20:24], "big") == VIEWPORT["height"]
