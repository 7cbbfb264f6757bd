"""Daytime is 08:00–22:00 on the team's wall clock, whatever the clocks do overnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.daytime import daytime_after, daytime_between

MADRID = ZoneInfo("Europe/Madrid")


def _local(zone: ZoneInfo, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    ("month", "evening", "wall_clock_hours"),
    [
        (3, 28, 13),  # clocks go forward on the night of 28 to 29 March 2026
        (10, 24, 15),  # and back on the night of 24 to 25 October 2026
    ],
)
def test_a_night_with_a_clock_change_still_ends_at_eight_on_the_wall_clock(
    month: int, evening: int, wall_clock_hours: int
) -> None:
    opened = _local(MADRID, month, evening, 20)
    due = daytime_after(opened, 4 * 3600, MADRID)
    assert due == _local(MADRID, month, evening + 1, 10)
    assert due - opened == timedelta(hours=wall_clock_hours)
    assert daytime_between(opened, due, MADRID) == timedelta(hours=4)


def test_zero_daytime_from_the_night_is_the_next_morning() -> None:
    assert daytime_after(_local(MADRID, 3, 3, 23), 0, "Europe/Madrid") == _local(MADRID, 3, 4, 8)
    assert daytime_after(_local(MADRID, 3, 3, 9), 0, MADRID) == _local(MADRID, 3, 3, 9)


def test_a_day_ends_at_ten_in_the_evening() -> None:
    assert daytime_after(_local(MADRID, 3, 3, 18), 4 * 3600, MADRID) == _local(MADRID, 3, 3, 22)


def test_nothing_lies_between_an_instant_and_an_earlier_one() -> None:
    start = _local(MADRID, 3, 3, 12)
    assert daytime_between(start, start - timedelta(hours=3), MADRID) == timedelta()


def test_daytime_spans_whole_days() -> None:
    start = _local(MADRID, 3, 3, 12)
    assert daytime_between(start, start + timedelta(days=3), MADRID) == timedelta(hours=42)


# Zones whose clocks change at night, by whole and by partial hours, or never.
ZONES = [
    "Europe/Madrid",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "UTC",
]


@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    seconds=st.integers(min_value=0, max_value=5 * 86400),
    zone=st.sampled_from(ZONES),
)
def test_the_daytime_between_the_start_and_the_due_time_is_the_delay(
    start: datetime, seconds: int, zone: str
) -> None:
    due = daytime_after(start, seconds, zone)
    assert due >= start
    assert daytime_between(start, due, zone) == timedelta(seconds=seconds)
    assert time(8) <= due.astimezone(ZoneInfo(zone)).time() <= time(22)
    if seconds:  # and not a moment later than it needs to be
        assert daytime_between(start, due - timedelta(microseconds=1), zone) < timedelta(
            seconds=seconds
        )
