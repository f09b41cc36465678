"""The image page: what the image checks found per product, and alt text drafts to approve or reject.

*Approve* (as written or as edited) writes the text to the image's ``alt`` in
WooCommerce; *reject* keeps the image as it is. Both go through the image
feature's ``approve_alt`` / ``reject_alt``.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from sovereign.features.images.review import AltError, approve_alt, reject_alt
from sovereign.store.images import ALT_STATUSES, ImageRepository
from sovereign.woo.errors import WooError

from .accounts import Session
from .guard import PREFIX, ConsoleRoute, form_session, page_session
from sovereign.store.webhook_events import product_names
from .render import flash, page
from sovereign.web.deps import RuntimeDep

log = logging.getLogger("sovereign.console")
router = APIRouter(route_class=ConsoleRoute)


@router.get(PREFIX + "/images", include_in_schema=False)
async def images(rt: RuntimeDep, request: Request, status: str = "draft", session: Session = Depends(page_session)) -> Response:
    if status not in ALT_STATUSES:
        status = "draft"
    repo = ImageRepository(rt.db.pool)
    checked, alts, names, counts = [], [], {}, {}
    for store in await rt.stores.list():
        found = await repo.list_products(store.id, with_findings=True, limit=100)
        drafts = await repo.list_alt(store.id, status=status, limit=100)
        checked.extend(found)
        alts.extend(drafts)
        counts[store.id] = await repo.finding_counts(store.id)
        names[store.id] = await product_names(
            rt.db.pool, store.id, [p.product_id for p in found] + [a.product_id for a in drafts]
        )
    return await page(request, session, "images.html", section="images", checked=checked, alts=alts, names=names,
                      counts=counts, status=status)


@router.post(PREFIX + "/images/{store_id}/{product_id}/{image_id}/{action}", include_in_schema=False)
async def alt_action(rt: RuntimeDep, request: Request, store_id: str, product_id: int, image_id: int, action: str,
                     session: Session = Depends(form_session)) -> Response:
    form = await request.form()
    back = RedirectResponse(PREFIX + "/images", status_code=303)
    try:
        if action == "approve":
            current = await ImageRepository(rt.db.pool).get_alt(store_id, product_id, image_id)
            text = str(form.get("text") or "").strip()
            edited = None if current is not None and text == current.alt.strip() else text
            await approve_alt(rt, store_id, product_id, image_id, text=edited)
            message = f"Product {product_id}: alt text {'edited and ' if edited else ''}written to the image."
        elif action == "reject":
            await reject_alt(rt, store_id, product_id, image_id, reason=str(form.get("reason") or "").strip()[:500] or None)
            message = f"Product {product_id}: alt text rejected."
        else:
            message = f"Unknown action {action!r}."
    except (AltError, WooError) as exc:
        message = f"Product {product_id}: not done: {exc}"
    log.warning("console: %s %s alt text of image %s of product %s of %s", session.user, action, image_id,
                product_id, store_id)
    await flash(request, session, message)
    return back
