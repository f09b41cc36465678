"""The two human review queues: orders the fraud feature held, and description drafts.

Fraud: *release* puts the order back to ``processing`` in WooCommerce (only if
it is still ``on-hold`` there: an order someone already moved is left as it
is); *keep* leaves it on hold. Either decision is recorded and takes the
order off the queue until a newer fraud result holds it again.

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
from sovereign.features.fraud.scoring import FraudSettings, InvalidFraudSettings
from sovereign.store.console_insights import DraftStats, FraudStats
from sovereign.woo.errors import WooError

from .accounts import Session
from .guard import PREFIX, ConsoleRoute, form_session, page_session
from .insights import draft_charts, fraud_charts
from .queries import HeldOrders, product_names
from .render import flash, page

log = logging.getLogger("sovereign.console")
router = APIRouter(route_class=ConsoleRoute)

ON_HOLD = "on-hold"
CHART_DAYS, CHART_WEEKS = 30, 12


@router.get(PREFIX + "/fraud", include_in_schema=False)
async def fraud(request: Request, store: str | None = None, session: Session = Depends(page_session)) -> Response:
    rt = request.app.state.runtime
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
async def decide(request: Request, store_id: str, order_id: int, decision: str,
                 session: Session = Depends(form_session)) -> Response:
    rt = request.app.state.runtime
    back = RedirectResponse(PREFIX + "/fraud", status_code=303)
    if decision not in ("release", "keep"):
        await flash(request, session, f"Unknown decision {decision!r}.")
        return back
    queue = HeldOrders(rt.db.pool)
    held = await queue.get(store_id, order_id)
    form = await request.form()
    if held is None or str(held.result_id) != str(form.get("result") or ""):
        await flash(request, session, f"Order {order_id} changed since the page was shown (re-scored or reviewed): "
                                      "check it again.")
        return back
    detail = "kept on hold"
    if decision == "release":
        store = await rt.stores.get(store_id)
        if store is None:
            await flash(request, session, f"Store {store_id!r} is not connected.")
            return back
        woo = rt.woo(store)
        try:
            current = str((await woo.get_order(order_id)).get("status") or "")
            if current == ON_HOLD:
                await woo.update_order(order_id, status="processing")
                detail = "released: on-hold -> processing"
            else:
                detail = f"released: the order was already {current or 'without status'} in WooCommerce, left as is"
        except WooError as exc:
            log.warning("console: releasing order %s of %s failed: %s", order_id, store_id, exc)
            await flash(request, session, f"Order {order_id} was not released: WooCommerce answered {exc}. "
                                          "Nothing was recorded; try again.")
            return back
    await queue.decide(held, decision, session.user, detail)
    log.warning("console: %s decided %s on order %s of %s: %s", session.user, decision, order_id, store_id, detail)
    await flash(request, session, f"Order {order_id}: {detail}.")
    return back


@router.get(PREFIX + "/descriptions", include_in_schema=False)
async def descriptions(request: Request, status: str = "draft", session: Session = Depends(page_session)) -> Response:
    rt = request.app.state.runtime
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
async def draft_action(request: Request, store_id: str, product_id: int, action: str,
                       session: Session = Depends(form_session)) -> Response:
    rt = request.app.state.runtime
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
