"""The forecast works on the store's days: its timezone from WooCommerce decides the window and the buckets."""

from __future__ import annotations

from datetime import date, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sovereign.features.forecasts.run import _gmt_midnight, store_zone


@pytest.mark.parametrize(("setting", "expected"), [
    ("Europe/Berlin", ZoneInfo("Europe/Berlin")),
    ("+05:30", timezone(timedelta(hours=5, minutes=30))),
    ("-08:00", timezone(-timedelta(hours=8))),
    ("UTC", timezone.utc),
    (None, timezone.utc),
])
def test_store_zone_reads_what_woocommerce_reports(setting: str | None, expected: object) -> None:
    assert store_zone(setting) == expected


@pytest.mark.parametrize("bad", ["Mars/Olympus", "+99:00", "../../etc/passwd", 7])
def test_an_unknown_zone_falls_back_to_utc_and_says_so(bad: object, caplog: pytest.LogCaptureFixture) -> None:
    assert store_zone(bad) == timezone.utc
    if isinstance(bad, str):
        assert "forecasting on UTC days" in caplog.text


def test_the_window_starts_at_the_stores_midnight_in_utc() -> None:
    assert _gmt_midnight(date(2026, 7, 1), ZoneInfo("Europe/Berlin")) == "2026-06-30T22:00:00"  # summer time
    assert _gmt_midnight(date(2026, 1, 1), ZoneInfo("Europe/Berlin")) == "2025-12-31T23:00:00"
    assert _gmt_midnight(date(2026, 7, 1), timezone.utc) == "2026-07-01T00:00:00"
