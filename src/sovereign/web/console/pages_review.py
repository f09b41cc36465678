"""The two human review queues: orders the fraud feature held, and description drafts.

Fraud: *release* or *keep* go through the fraud feature's ``decide_held_order``
(``features/fraud/decisions.py``), which releases the order in WooCommerce and
records the decision.

Descriptions: *approve* (as written, or as edited in the text box) and
*reject* go through the descriptions feature's ``approve_draft`` /
``reject_draft``, which write the product in WooCommerce.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from sovereign.features.descriptions.drafts import DraftError, DraftRepository, approve_draft, reject_draft
from sovereign.features.fraud.decisions import DecisionRefused, decide_held_order
from sovereign.features.fraud.scoring import FraudSettings, InvalidFraudSettings
from sovereign.store.console_insights import DraftStats, FraudStats
from sovereign.woo.errors import WooError

from .accounts import Session
from .guard import PREFIX, ConsoleRoute, form_session, page_session
from .insights import draft_charts, fraud_charts
from sovereign.store.held_orders import HeldOrders
from sovereign.store.webhook_events import product_names
from .render import flash, page
from sovereign.web.deps import RuntimeDep

log = logging.getLogger("sovereign.console")
router = APIRouter(route_class=ConsoleRoute)

CHART_DAYS, CHART_WEEKS = 30, 12


@router.get(PREFIX + "/fraud", include_in_schema=False)
async def fraud(rt: RuntimeDep, request: Request, store: str | None = None, session: Session = Depends(page_session)) -> Response:
    stores = await rt.stores.list()
    held = await HeldOrders(rt.db.pool).list(store or None, limit=200)
    urls = {s.id: s.url.rstrip("/") for s in stores}
    return await page(request, session, "fraud.html", section="fraud", held=held, stores=stores, store=store or "",
                      urls=urls, charts=await _fraud_charts(rt, stores, store or None))


async def _fraud_charts(rt: object, stores: list, store: str | None) -> list:
    now = datetime.now(timezone.utc)
    since = now - timedelta(days=CHART_DAYS - 1)
    since = since.replace(hour=0, minute=0, second=0, microsecond=0)
    stats = FraudStats(rt.db.pool)  # type: ignore[attr-defined]
    shown = [s for s in stores if store is None or s.id == store]
    try:  # the threshold the chart marks: the store's (the first one's when several are shown)
        threshold = FraudSettings.of(shown[0].settings if shown else None).config.threshold
    except InvalidFraudSettings:
        threshold = FraudSettings.of(None).config.threshold
    monday = (now - timedelta(days=now.weekday(), weeks=CHART_WEEKS - 1)).replace(hour=0, minute=0, second=0,
                                                                                   microsecond=0)
    return fraud_charts(
        await stats.holds_per_day(since, store), await stats.score_bins(since, store),
        await stats.releases_per_week(monday, store), today=now.date(), days=CHART_DAYS, weeks=CHART_WEEKS,
        threshold=threshold,
    )


@router.post(PREFIX + "/fraud/{store_id}/{order_id}/{decision}", include_in_schema=False)
async def decide(rt: RuntimeDep, request: Request, store_id: str, order_id: int, decision: str,
                 session: Session = Depends(form_session)) -> Response:
    back = RedirectResponse(PREFIX + "/fraud", status_code=303)
    form = await request.form()
    try:
        detail = await decide_held_order(rt, store_id, order_id, decision, shown_result=str(form.get("result") or ""),
                                         actor=session.user)
    except DecisionRefused as exc:
        await flash(request, session, str(exc))
        return back
    await flash(request, session, f"Order {order_id}: {detail}.")
    return back


@router.get(PREFIX + "/descriptions", include_in_schema=False)
async def descriptions(rt: RuntimeDep, request: Request, status: str = "draft", session: Session = Depends(page_session)) -> Response:
    if status not in ("draft", "approved", "published", "rejected"):
        status = "draft"
    repo = DraftRepository(rt.db.pool)
    drafts, names = [], {}
    for store in await rt.stores.list():
        found = await repo.list(store.id, status=status, limit=100)
        drafts.extend(found)
        names[store.id] = await product_names(rt.db.pool, store.id, [d.product_id for d in found])
    drafts.sort(key=lambda d: d.updated_at, reverse=True)
    now = datetime.now(timezone.utc)
    since = (now - timedelta(days=CHART_DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    stats = DraftStats(rt.db.pool)
    charts = draft_charts(await stats.per_day(since), await stats.template_reasons(since),
                          await stats.model_calls(since), today=now.date(), days=CHART_DAYS)
    return await page(request, session, "descriptions.html", section="descriptions", drafts=drafts, names=names,
                      status=status, charts=charts)


@router.post(PREFIX + "/descriptions/{store_id}/{product_id}/{action}", include_in_schema=False)
async def draft_action(rt: RuntimeDep, request: Request, store_id: str, product_id: int, action: str,
                       session: Session = Depends(form_session)) -> Response:
    form = await request.form()
    back = RedirectResponse(PREFIX + "/descriptions", status_code=303)
    try:
        if action == "approve":
            current = await DraftRepository(rt.db.pool).get(store_id, product_id)
            text = str(form.get("text") or "").replace("\r\n", "\n")
            edited = None if current is not None and text.strip() == current.draft.strip() else text
            await approve_draft(rt, store_id, product_id, text=edited)
            message = f"Product {product_id}: description {'edited and ' if edited else ''}published."
        elif action == "reject":
            await reject_draft(rt, store_id, product_id, reason=str(form.get("reason") or "").strip()[:500] or None)
            message = f"Product {product_id}: draft rejected."
        else:
            message = f"Unknown action {action!r}."
    except (DraftError, WooError) as exc:
        message = f"Product {product_id}: not done: {exc}"
    log.warning("console: %s %s draft of product %s of %s", session.user, action, product_id, store_id)
    await flash(request, session, message)
    return back
