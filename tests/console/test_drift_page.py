"""The model drift page: this week against the week before, per feature and model, with the drift watch's
thresholds marked. Calls go through the real audit writer; drafts and fraud results are the features' rows."""

from __future__ import annotations

import re
import time

from sovereign.audit.writer import AuditWriter
from sovereign.gateway.events import CallFinished

from tests.console.conftest import STORE, Console

HOUR, DAY = 3600.0, 86400.0


def call(i: int, latency_ms: float, model: str = "qwen-0.5b", feature: str = "descriptions") -> CallFinished:
    return CallFinished(
        feature=feature, data_class="public", outcome="ok", provider="local", jurisdiction="local", model=model,
        model_version="v1", latency_ms=latency_ms, input_tokens=100, output_tokens=40, cached=False, attempts=1,
        request_sha256=f"{i:064x}", response_sha256=f"{i + 1:064x}", redactions={},
    )


async def write_calls(svc: Console, ago_s: float, latency_ms: float, n: int, first: int) -> None:
    writer = AuditWriter(svc.rt.db.pool, clock=lambda: time.time() - ago_s)
    for i in range(n):
        writer(call(first + i, latency_ms))
    await writer.flush()


def row(page: str, table: str, key: str) -> str:
    body = page[page.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    found = re.search(rf'<tr data-[a-z]+="{re.escape(key)}"[^>]*>.*?</tr>', body, re.S)
    assert found, (key, body)
    return found.group(0)


async def test_drift_page_marks_what_crosses_the_thresholds(svc: Console) -> None:
    pool = svc.rt.db.pool
    await write_calls(svc, 9 * DAY, 2_000.0, 25, 0)        # the week before: 2 s
    await write_calls(svc, 2 * HOUR, 150_000.0, 25, 100)   # this week: 150 s, over the 120 s threshold
    drafts = [(i, "llm" if i < 5 else "template", "invalid:unsupported_claim" if 5 <= i < 20 else None)
              for i in range(25)]
    await pool.executemany(
        "INSERT INTO sovereign_description_drafts (store_id, product_id, draft, source, reason, updated_at) "
        "VALUES ($1, $2, 'text', $3, $4, now() - interval '1 hour')", [(STORE, p, s, r) for p, s, r in drafts],
    )
    await pool.executemany(
        "INSERT INTO sovereign_fraud_results (store_id, order_id, score, rules_score, band, reasons, llm, decision, "
        "source) VALUES ($1, $2, $3, $4, 'medium', '[]', 'ok', 'none', 'webhook')",
        [(STORE, 1, 50, 50), (STORE, 2, 40, 40), (STORE, 3, 65, 55), (STORE, 4, 30, 30)],
    )

    await svc.login()
    resp = await svc.http.get("/console/drift")
    assert resp.status_code == 200
    page = resp.text
    assert 'href="/console/drift"' in page  # in the navigation
    rate = row(page, "drift-figures", "descriptions: model-draft rate")
    assert "20.0%" in rate and "under 50%" in rate and 'class="alert"' in rate
    refused = row(page, "drift-figures", "descriptions: validator refusal rate")
    assert "60.0%" in refused and "over 40%" in refused
    agree = row(page, "drift-figures", "fraud: AI review agrees with the rules")
    assert "75.0%" in agree and 'class="alert"' not in agree  # 4 reviews: shown, not judged
    model = row(page, "drift-models", "descriptions:local/qwen-0.5b")
    assert "<td>25</td>" in model and "100.0%" in model and "150,000 ms" in model and "2,000 ms" in model
    assert "p95 over 120 s" in model
