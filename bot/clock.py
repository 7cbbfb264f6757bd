"""Time is injected: code asks a clock, tests move it.

A clock tells two times: the wall time (``now``: what is due, what is recorded) and the
monotonic time Telegram's limits are counted in (``monotonic``, seconds from an arbitrary
start); and it waits (``sleep``) in the latter. The sender's pacing waits go through it, so
that tests need not wait out Telegram's limits in real time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

# Turns of the event loop a fake clock gives the tasks that are not asleep on it before it
# lets its earliest sleeper wake, and how long (in real time) it gives work it was told of
# and cannot see (see ``FakeClock``).
IDLE_TURNS = 50
BUSY_PAUSE = 0.001


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for intervals and rates."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's monotonic time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock whose wall time stands still until a test moves it.

    Its monotonic time moves with the wall time (``advance``, ``set`` forward) and also by
    itself, but only where real time would have been spent waiting: once the event loop
    has had nothing else to do for a few turns, the earliest sleeper's time comes at once.
    Work the loop cannot see, such as a database driver's thread, holds the clock only if
    the clock is told of it (``hold_while``); otherwise it may find its waits passed
    meanwhile, as on a slow machine.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._monotonic = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # sleepers with one wake-up time wake in turn
        self._mover: asyncio.Task[None] | None = None
        self._busy: list[Callable[[], bool]] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def hold_while(self, busy: Callable[[], bool]) -> None:
        """Time does not pass by itself while ``busy()`` (e.g. a database connection is in
        use: its driver works on a thread the event loop does not see)."""
        self._busy.append(busy)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        self._move_monotonic(delta.total_seconds())
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        instant = instant.astimezone(UTC)
        self._move_monotonic((instant - self._now).total_seconds())
        self._now = instant

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._monotonic + seconds, next(self._order), woken))
        if self._mover is None or self._mover.done():
            self._mover = asyncio.create_task(self._move_when_idle())
        await woken  # a cancelled sleeper is dropped when its time comes

    def _move_monotonic(self, seconds: float) -> None:
        """Forward only: a wall clock set back does not take the monotonic one with it."""
        self._monotonic += max(seconds, 0.0)
        while self._sleepers and self._sleepers[0][0] <= self._monotonic:
            _, _, woken = heapq.heappop(self._sleepers)
            if not woken.done():
                woken.set_result(None)

    async def _move_when_idle(self) -> None:
        while self._sleepers:
            idle = 0  # turns in a row with no work the clock was told of
            while idle < IDLE_TURNS:
                if any(busy() for busy in self._busy):
                    idle = 0
                    await asyncio.sleep(BUSY_PAUSE)
                else:
                    idle += 1
                    await asyncio.sleep(0)
            self._sleepers = [s for s in self._sleepers if not s[2].done()]
            heapq.heapify(self._sleepers)
            if self._sleepers:
                self._move_monotonic(self._sleepers[0][0] - self._monotonic)
