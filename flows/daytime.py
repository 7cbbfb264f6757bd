"""Daytime hours, for response targets that count only the day (amber: "≤ 4 h (daytime)").

The clinical defaults do not say which hours are daytime. This project reads daytime as the
complement of the quiet hours the clinical defaults set for messages to patients (22:00–08:00
local): daytime is 08:00–22:00 in the care team's time zone. That correspondence is our
reading of "daytime", not a separate clinical fact.

Each day's bounds are local wall-clock times turned into instants, so a day on which the
clocks change still has daytime from 08:00 to 22:00 on the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYTIME_STARTS = time(8, 0)  # the end of the clinical defaults' quiet hours
DAYTIME_ENDS = time(22, 0)  # their start


def as_zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def daytime_after(start: datetime, seconds: int, zone: ZoneInfo | str) -> datetime:
    """The first instant, at or after ``start``, by which ``seconds`` of daytime have passed.

    It always falls in daytime: even zero seconds, counted from a night-time start, end at
    the next 08:00.
    """
    remaining = timedelta(seconds=seconds)
    periods = _daytimes(start, as_zone(zone))
    while True:
        begins, ends = next(periods)
        if remaining <= ends - begins:
            return begins + remaining
        remaining -= ends - begins


def daytime_between(start: datetime, end: datetime, zone: ZoneInfo | str) -> timedelta:
    """How much daytime lies between two instants (nothing when ``end`` is not later)."""
    total = timedelta()
    periods = _daytimes(start, as_zone(zone))
    while True:
        begins, ends = next(periods)
        if begins >= end:
            return total
        total += min(ends, end) - begins


def _daytimes(start: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """The daytime periods from ``start`` on, in order, as UTC instants."""
    day = start.astimezone(zone).date()
    floor = start.astimezone(UTC)  # no period starts before the previous one ended
    while True:
        begins = max(_instant(day, DAYTIME_STARTS, zone), floor)
        ends = _instant(day, DAYTIME_ENDS, zone)
        if begins < ends:
            yield begins, ends
            floor = ends
        day += timedelta(days=1)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A local time skipped by a clock change maps to the instant just after the gap.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
