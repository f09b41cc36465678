"""Stock narratives: a few plain sentences per category batch, written by the LLM from aggregates only.

Optional (store setting ``forecast_narratives``, default off). After a
forecast run, each category's products are cut into batches of 25, most
urgent first, and each batch becomes one ``forecasts.narrative`` job in the
``forecasts`` group (whose cap, 2 by default, bounds how many run at once).
The prompt holds product names, SKUs and unit figures: data class ``public``,
no customer or order data. A failed or made-up answer leaves the batch
without a narrative (``status`` says why); the forecast itself is unaffected.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Sequence

from pydantic import BaseModel

from sovereign.domain.descriptions import clean
from sovereign.domain.forecast import (
    NARRATIVE_BATCH_SIZE,
    NarrativeItem,
    build_narrative_messages,
    days_to_month_end,
    month_end,
    narrative_batches,
)
from sovereign.features.forecasts.run import ForecastRun
from sovereign.gateway import PUBLIC, ChatRequest, GatewayError
from sovereign.jobs import BulkItem, Scheduled
from sovereign.features.services import FeatureServices
from sovereign.features.prompts import chat_messages
from sovereign.store.forecasts import ForecastRepository, NarrativeRecord


__all__ = ["NARRATIVE_JOB", "NarrativeArgs", "NarrativeRow", "schedule_narratives", "unsupported_numbers", "write_narrative"]

log = logging.getLogger("sovereign.forecasts")

NARRATIVE_JOB = "forecasts.narrative"
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?")


class NarrativeRow(BaseModel):
    """One product's aggregates, as carried in the job's arguments (a ``NarrativeItem``)."""

    product_id: int
    name: str
    sku: str
    units_last_30_days: float
    forecast_to_month_end: float
    stock_quantity: int | None
    stock_needed_month_end: int
    model: str

    def item(self) -> NarrativeItem:
        return NarrativeItem(**self.model_dump(exclude={"product_id"}))


class NarrativeArgs(BaseModel):
    store: str
    as_of: date
    category: str
    batch: int
    rows: list[NarrativeRow]


def _decimal(token: str) -> Decimal | None:
    try:
        return Decimal(token.replace(",", ".")).normalize()
    except InvalidOperation:
        return None


def unsupported_numbers(text: str, items: Sequence[NarrativeItem], as_of: date) -> list[str]:
    """Numbers in ``text`` that the data block does not hold (a figure, its rounding, a date part, a count)."""
    allowed: set[Decimal] = {Decimal(30), Decimal(len(items)), Decimal(days_to_month_end(as_of))}
    for day in (as_of, month_end(as_of)):
        allowed |= {Decimal(day.year), Decimal(day.month), Decimal(day.day)}
    for i in items:
        for value in (i.units_last_30_days, i.forecast_to_month_end, i.stock_quantity, i.stock_needed_month_end):
            if value is None:
                continue
            v = Decimal(str(round(float(value), 1)))
            allowed |= {v.normalize(), v.to_integral_value().normalize(), Decimal(int(value)), Decimal(int(value) + 1)}
    named = {t for i in items for t in _NUMBER.findall(f"{i.name} {i.sku}")}  # "Cap 2000" is a name, not a claim
    return [t for t in _NUMBER.findall(text) if t not in named and ((d := _decimal(t)) is None or d not in allowed)]


async def schedule_narratives(rt: FeatureServices, run: ForecastRun) -> list[Scheduled]:
    """One ``forecasts.narrative`` job per category batch of this run (deduplicated per store, day, batch)."""
    by_category: dict[str, list[NarrativeRow]] = {}
    for f in run.forecasts.values():
        row = NarrativeRow(product_id=f.product_id, **asdict(f.narrative))
        by_category.setdefault(f.category, []).append(row)
    items: list[BulkItem] = []
    for category, rows in sorted(by_category.items()):
        pairs = [(r.item(), r) for r in rows]
        row_of = {id(item): row for item, row in pairs}  # narrative_batches reorders the same objects
        for index, batch in enumerate(narrative_batches([item for item, _ in pairs], NARRATIVE_BATCH_SIZE)):
            args = NarrativeArgs(
                store=run.store_id, as_of=run.as_of, category=category, batch=index, rows=[row_of[id(i)] for i in batch]
            )
            key = f"forecast-narrative:{run.store_id}:{run.as_of.isoformat()}:{category}:{index}"
            items.append(BulkItem(args.model_dump(mode="json"), key))
    return await rt.queue.schedule_many(NARRATIVE_JOB, items) if items else []


async def write_narrative(rt: FeatureServices, args: NarrativeArgs, *, timeout_s: float = 120.0) -> str:
    """Ask for the batch's narrative and store it (or its absence). Returns the row's status."""
    items = [r.item() for r in args.rows]
    request = ChatRequest(
        messages=chat_messages(build_narrative_messages(args.category, items, args.as_of)),
        feature="forecasts",
        data_class=PUBLIC,
        deadline=time.monotonic() + timeout_s,
        max_tokens=300,
        temperature=0.0,
    )
    narrative: str | None = None
    model: str | None = None
    reason: str | None = None
    try:
        result = await rt.gateway.complete(request)
    except GatewayError as exc:
        status, reason = "unavailable", f"gateway_{exc.reason}"
    else:
        model = f"{result.provider}/{result.model}"
        text = clean(result.text)
        invented = unsupported_numbers(text, items, args.as_of)
        if not text:
            status, reason = "invalid", "empty"
        elif invented:
            status, reason = "invalid", "invented_number:" + ",".join(invented[:8])
        else:
            status, narrative = "ok", text
    await ForecastRepository(rt.db.pool).save_narrative(NarrativeRecord(
        args.store, args.as_of, args.category, args.batch, [r.product_id for r in args.rows], narrative, status,
        reason, model,
    ))
    log.info("narrative %s/%s#%d for %s: %s", args.as_of, args.category, args.batch, args.store, reason or status)
    return status
