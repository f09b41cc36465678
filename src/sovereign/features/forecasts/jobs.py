"""Stock forecasts: the daily schedule and its jobs.

* cron ``forecasts.daily`` (``0 2 * * *``, store time) schedules ``forecasts.all``;
* ``forecasts.all`` schedules one ``forecasts.run`` per connected store
  (dedupe key ``forecast:{store}:{day}``: one run per store and day);
* ``forecasts.run`` (``{"store": id}``) forecasts the store to month end and
  writes the product meta (``features/forecasts_run``); with the store
  setting ``forecast_narratives`` on, it then schedules the narratives;
* ``forecasts.narrative`` writes one category batch's narrative
  (``features/forecasts_narrative``).

All run in the ``forecasts`` group, whose cap (2 by default) bounds how many
run at once across every worker. A store opts out with ``forecasts_enabled: false``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from sovereign.features.forecasts.narrative import (
    NARRATIVE_JOB,
    NarrativeArgs,
    NarrativeRow,
    schedule_narratives,
    unsupported_numbers,
    write_narrative,
)
from sovereign.features.forecasts.run import HISTORY_DAYS, ForecastRun, ProductForecast, run_forecast
from sovereign.jobs import BulkItem, JobContext, JobRegistry, Scheduled
from sovereign.features.services import FeatureServices


__all__ = [
    "HISTORY_DAYS",
    "ForecastRun",
    "NarrativeArgs",
    "NarrativeRow",
    "ProductForecast",
    "RunArgs",
    "register",
    "run_forecast",
    "schedule_all",
    "schedule_narratives",
    "unsupported_numbers",
    "write_narrative",
]

log = logging.getLogger("sovereign.forecasts")

RUN_JOB = "forecasts.run"
ALL_JOB = "forecasts.all"


class RunArgs(BaseModel):
    store: str
    as_of: date | None = None  # the first forecast day; default: today (UTC)


class AllArgs(BaseModel):
    pass


async def schedule_all(rt: FeatureServices, *, day: date | None = None) -> list[Scheduled]:
    """One ``forecasts.run`` per connected store with forecasts on, at most one per store and (store-time) day."""
    day = day or datetime.now(ZoneInfo(rt.settings.store_timezone)).date()
    stores = [s for s in await rt.stores.list() if s.settings.get("forecasts_enabled", True)]
    items = [BulkItem({"store": s.id}, f"forecast:{s.id}:{day.isoformat()}") for s in stores]
    return await rt.queue.schedule_many(RUN_JOB, items) if items else []


async def _run_job(args: RunArgs, ctx: JobContext[FeatureServices]) -> None:
    rt = ctx.services
    run = await run_forecast(rt, args.store, today=args.as_of)
    store = await rt.store_or_fail(args.store)
    if store.settings.get("forecast_narratives", False) and run.forecasts:
        scheduled = await schedule_narratives(rt, run)
        log.info("forecast for %s: %d narrative batches scheduled", args.store, sum(s.created for s in scheduled))


async def _all_job(args: AllArgs, ctx: JobContext[FeatureServices]) -> None:
    scheduled = await schedule_all(ctx.services)
    log.info("daily forecasts: %d stores scheduled", sum(s.created for s in scheduled))


async def _narrative_job(args: NarrativeArgs, ctx: JobContext[FeatureServices]) -> None:
    await write_narrative(ctx.services, args)


def register(registry: JobRegistry) -> None:
    """Register this feature's jobs and schedules."""
    registry.job(RUN_JOB, group="forecasts", max_attempts=3, backoff_base_s=30.0, timeout_s=1800.0)(_run_job)
    registry.job(ALL_JOB, group="forecasts", max_attempts=3)(_all_job)
    registry.job(NARRATIVE_JOB, group="forecasts", max_attempts=3, timeout_s=300.0)(_narrative_job)
    registry.cron("forecasts.daily", "0 2 * * *", job=ALL_JOB)
