"""On SQLite, the process's write transactions take turns here, most urgent first.

SQLite lets one writer at a time. A connection that finds the database locked waits in
SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and looks again: it
gets the lock only if it happens to look while nobody holds it. Under load the writers that
just arrived win and one that has waited longest keeps losing, whatever its urgency: a
red-flag card's claim waited behind every reply's transaction, and a reply's transaction
could wait out the whole busy timeout. Here the writers of one process queue instead, and
each is woken the moment the one before it is done: the sender's short writes first (every
message's path runs through them), then storing updates, then a reply's transaction, then
routine work such as the dispatcher's. Same urgency, first come first served; and a writer
climbs one level of urgency for every PROMOTE_SECONDS it has waited, so that a stream of
replies delays the dispatcher's check-ins by seconds, not for as long as the stream lasts.

On PostgreSQL rows are locked, not the database: turns are not taken there.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

SENDER = 0  # claims, "begun" marks and outcomes of the outbox
INBOX = 1  # storing updates, marking them done
REPLY = 2  # a handler's unit of work: a patient's reply, a nurse's press
ROUTINE = 3  # the dispatcher's check-ins
PROMOTE_SECONDS = 0.5  # waited this long, a writer goes as if one level more urgent


class WriteTurns:
    """A lock that hands itself to the most urgent waiter (urgency rising with the wait),
    earliest first among equals. A task that holds it may take it again (nested
    transactions in one task)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._holder: asyncio.Task[Any] | None = None
        # (priority, arrival, since, task, granted); a short list: a process's writers
        self._line: list[tuple[int, int, float, asyncio.Task[Any], asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for *_, granted in self._line if not granted.done())

    @asynccontextmanager
    async def turn(self, priority: int) -> AsyncIterator[None]:
        task = asyncio.current_task()
        assert task is not None
        if self._holder is task:
            yield
            return
        if self._holder is not None:
            granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            entry = (priority, next(self._arrivals), self._monotonic(), task, granted)
            self._line.append(entry)
            try:
                await granted
            except asyncio.CancelledError:
                if granted.done() and not granted.cancelled():
                    self._hand_on()  # handed to it as it was cancelled: to the next
                else:
                    self._line.remove(entry)
                raise
        self._holder = task
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        self._holder = None
        if not self._line:
            return
        now = self._monotonic()
        entry = min(self._line, key=lambda e: (e[0] - (now - e[2]) / PROMOTE_SECONDS, e[1]))
        self._line.remove(entry)
        *_, task, granted = entry
        self._holder = task  # nobody arriving meanwhile can take it first
        granted.set_result(None)


_TURNS: weakref.WeakKeyDictionary[Engine, WriteTurns] = weakref.WeakKeyDictionary()


def turns_of(engine: AsyncEngine) -> WriteTurns | None:
    """The engine's turns, or None where the database needs none (PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    return _TURNS.setdefault(engine.sync_engine, WriteTurns())


@asynccontextmanager
async def write_turn(
    sessions: async_sessionmaker[AsyncSession], priority: int
) -> AsyncIterator[None]:
    """Wait for this process's turn to write (SQLite), most urgent first; then write."""
    bind = sessions.kw.get("bind")
    turns = turns_of(bind) if isinstance(bind, AsyncEngine) else None
    if turns is None:
        yield
        return
    async with turns.turn(priority):
        yield
