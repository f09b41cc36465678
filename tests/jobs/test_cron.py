"""Recurring schedules: fired by pgqueuer's scheduler, read in the store's time zone."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from pgqueuer.core.executors import ScheduleExecutorFactoryParameters

from sovereign.jobs import JobRegistry
from sovereign.jobs.worker import StoreTimeScheduleExecutor
from tests.jobs.conftest import wait_for
from tests.jobs.handlers import registry


def _executor(expression: str, tz: str) -> StoreTimeScheduleExecutor:
    async def fn(schedule) -> None:  # noqa: ANN001
        return None

    cls = type("E", (StoreTimeScheduleExecutor,), {"tz": ZoneInfo(tz)})
    return cls(ScheduleExecutorFactoryParameters(entrypoint="x", expression=expression, func=fn, clean_old=False))


def test_daily_at_two_means_two_in_the_store_time_zone() -> None:
    nxt = _executor("0 2 * * *", "Europe/Berlin").get_next()
    local = nxt.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (2, 0)
    assert nxt.tzinfo is not None and nxt > datetime.now(timezone.utc)
    assert _executor("0 2 * * *", "UTC").get_next().hour == 2


def test_invalid_cron_expressions_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="invalid cron"):
        JobRegistry().cron("bad", "every day at two", job="x")


async def test_a_recurring_schedule_fires_its_job(jpool, run_worker) -> None:
    registry.cron("test.every-second", "* * * * * */1", job="test.noop", args={"tag": "cron"})
    try:
        run_worker(groups=["default"])
        took = await wait_for(lambda: jpool.fetchval("SELECT count(*) >= 2 FROM probe WHERE tag = 'cron'"), 20)
        assert took < 20
        keys = await jpool.fetch("SELECT DISTINCT tag FROM probe")
        assert [k["tag"] for k in keys] == ["cron"]
    finally:
        registry._crons.pop("test.every-second", None)
