"""The fake clock: tests move its wall time; its monotonic time also passes by itself, but
only where real time would have been spent waiting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_moving_the_wall_time_forward_moves_the_monotonic_time_with_it() -> None:
    clock = FakeClock(START)
    clock.advance(timedelta(seconds=90))
    clock.set(START + timedelta(minutes=2))
    assert clock.monotonic() == 120.0


def test_setting_the_wall_time_back_leaves_the_monotonic_time_where_it_was() -> None:
    clock = FakeClock(START + timedelta(hours=1))
    clock.set(START)
    assert (clock.now(), clock.monotonic()) == (START, 0.0)


def test_a_clock_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError, match="aware"):
        FakeClock(START).set(datetime(2026, 3, 2, 9, 0))


async def test_a_sleeper_wakes_when_the_test_moves_the_clock_past_its_time() -> None:
    clock = FakeClock(START)
    sleeper = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    clock.advance(timedelta(seconds=4))
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.advance(timedelta(seconds=1))
    await asyncio.sleep(0)
    assert sleeper.done()


async def test_when_all_wait_the_earliest_sleeper_wakes_at_once_and_the_wall_stands_still() -> None:
    clock = FakeClock(START)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    async with asyncio.timeout(5):
        await asyncio.gather(sleeper("late", 3600), sleeper("soon", 0.5), sleeper("now", 0))

    assert woke == [("now", 0.0), ("soon", 0.5), ("late", 3600.0)]
    assert clock.now() == START


async def test_a_cancelled_sleeper_holds_no_one_back() -> None:
    clock = FakeClock(START)
    forgotten = asyncio.create_task(clock.sleep(1))
    await asyncio.sleep(0)
    forgotten.cancel()
    async with asyncio.timeout(5):
        await clock.sleep(10)
    assert clock.monotonic() == 10.0
