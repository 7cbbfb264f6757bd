"""On SQLite a process's writers take turns, most urgent first: the sender's claim queued
behind replies' transactions goes next, not after them (nor whenever SQLite's busy handler
happens to look)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

from bot.clock import FakeClock
from bot.context import Services, Site
from bot.delivery.leases import Leases
from bot.delivery.outbox import PRIORITY_CONVERSATION, enqueue
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.telegram.handlers.unit_of_work import unit_of_work
from db.write_turns import (
    PROMOTE_SECONDS,
    REPLY,
    ROUTINE,
    SENDER,
    WriteTurns,
    turns_of,
    write_turn,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until ``condition`` holds (no clock involved)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


def _writer(turns: WriteTurns, order: list[str]) -> Callable[..., Coroutine[Any, Any, None]]:
    """A writer that notes its name when its turn comes, and holds it until ``hold``."""

    async def write(name: str, priority: int, hold: Awaitable[object] | None = None) -> None:
        async with turns.turn(priority):
            order.append(name)
            if hold is not None:
                await hold

    return write


async def test_the_most_urgent_waiting_writer_goes_next_whoever_came_first() -> None:
    turns = WriteTurns()
    order: list[str] = []
    release = asyncio.Event()
    write = _writer(turns, order)

    first = asyncio.create_task(write("reply 1", REPLY, release.wait()))
    await _until(lambda: order == ["reply 1"])
    rest = [
        asyncio.create_task(write(name, priority))
        for name, priority in (
            ("dispatcher", ROUTINE),
            ("reply 2", REPLY),
            ("reply 3", REPLY),
            ("claim", SENDER),
        )
    ]
    await _until(lambda: turns.waiting == 4)
    release.set()
    await asyncio.gather(first, *rest)

    assert order == ["reply 1", "claim", "reply 2", "reply 3", "dispatcher"]


async def test_a_routine_writer_that_has_waited_long_goes_before_urgent_ones_just_come() -> None:
    """A stream of replies delays the dispatcher by seconds, not for as long as it lasts."""
    now = [0.0]
    turns = WriteTurns(monotonic=lambda: now[0])
    order: list[str] = []
    release = asyncio.Event()
    write = _writer(turns, order)

    first = asyncio.create_task(write("reply 1", REPLY, release.wait()))
    await _until(lambda: order == ["reply 1"])
    dispatcher = asyncio.create_task(write("dispatcher", ROUTINE))
    await _until(lambda: turns.waiting == 1)
    now[0] = (ROUTINE - SENDER + 1) * PROMOTE_SECONDS  # more than three levels' wait
    latecomers = [
        asyncio.create_task(write(n, p)) for n, p in (("reply 2", REPLY), ("claim", SENDER))
    ]
    await _until(lambda: turns.waiting == 3)
    release.set()
    await asyncio.gather(first, dispatcher, *latecomers)

    assert order == ["reply 1", "dispatcher", "claim", "reply 2"]


async def test_a_writer_that_stops_waiting_gives_up_its_place_and_blocks_nobody() -> None:
    turns = WriteTurns()
    order: list[str] = []
    release = asyncio.Event()

    async def write(name: str, hold: Awaitable[object] | None = None) -> None:
        async with turns.turn(REPLY):
            order.append(name)
            if hold is not None:
                await hold

    first = asyncio.create_task(write("first", release.wait()))
    await _until(lambda: order == ["first"])
    gone, last = asyncio.create_task(write("gone")), asyncio.create_task(write("last"))
    await _until(lambda: turns.waiting == 2)
    gone.cancel()
    release.set()
    await asyncio.gather(first, last)

    assert gone.cancelled()
    assert order == ["first", "last"]
    async with asyncio.timeout(1):  # and the turn is free again
        async with turns.turn(ROUTINE):
            pass


async def test_a_writer_may_take_its_own_turn_again_inside_it() -> None:
    turns = WriteTurns()
    inside: list[str] = []
    async with asyncio.timeout(1), turns.turn(REPLY), turns.turn(SENDER):  # no waiting on itself
        inside.append("both turns")

    async def another_writer() -> str:
        async with turns.turn(ROUTINE):
            return "its turn"

    assert inside == ["both turns"]
    assert await asyncio.wait_for(another_writer(), 1) == "its turn"  # and handed on after


def _services(sessions: async_sessionmaker[AsyncSession]) -> Services:
    """What a handler's unit of work needs, on the test's database."""
    return Services(
        sessions, ProtocolCatalogue(load_protocols(None)), Site("112"), FakeClock(NOW), lambda: None
    )


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_the_senders_claim_goes_before_the_replies_queued_ahead_of_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    services = _services(sessions)
    engine = sessions.kw["bind"]
    turns = turns_of(engine)
    assert turns is not None
    done: list[str] = []
    at_work, release = asyncio.Event(), asyncio.Event()

    async def reply(update_id: int, hold: bool = False) -> None:
        async with unit_of_work(services, Update(update_id)) as session:
            assert session is not None
            if hold:  # a handler at work: its transaction has written, the lock is held
                done.append("reply 1 at work")
                at_work.set()
                await release.wait()
        done.append(f"reply {update_id}")

    async with sessions.begin() as session:  # a reply to a patient waits in the outbox
        enqueue(
            session,
            chat_id=42,
            now=NOW,
            purpose="reply",
            payload={"text": "Thank you."},
            priority=PRIORITY_CONVERSATION,
        )

    async def claim() -> None:
        claimed = await Leases(sessions, "sender", timedelta(seconds=60)).claim(
            NOW, 10, urgent=True, waiting=()
        )
        done.append(f"claim of {len(claimed)}")

    first = asyncio.create_task(reply(1, hold=True))
    async with asyncio.timeout(30):
        await at_work.wait()
    queued = [asyncio.create_task(reply(n)) for n in (2, 3, 4)]
    await _until(lambda: turns.waiting == 3)
    claiming = asyncio.create_task(claim())
    await _until(lambda: turns.waiting == 4)
    release.set()
    async with asyncio.timeout(30):
        await asyncio.gather(first, *queued, claiming)

    assert done[1:3] == ["reply 1", "claim of 1"]
    assert sorted(done[3:]) == ["reply 2", "reply 3", "reply 4"]


async def test_a_claim_that_finds_nothing_waits_for_no_writer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # A handler at work holds the database's one writer; the sender's rounds, which find
    # nothing due most of the time, do not queue behind it to find that out.
    services = _services(sessions)
    at_work, release = asyncio.Event(), asyncio.Event()

    async def reply() -> None:
        async with unit_of_work(services, Update(1)) as session:
            assert session is not None
            at_work.set()
            await release.wait()

    replying = asyncio.create_task(reply())
    async with asyncio.timeout(30):
        await at_work.wait()
    leases = Leases(sessions, "sender", timedelta(seconds=60))
    try:
        async with asyncio.timeout(5):
            for urgent in (False, True):
                assert await leases.claim(NOW, 10, urgent=urgent, waiting=()) == []
    finally:
        release.set()
        await replying


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_on_postgresql_writers_take_no_turns(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert turns_of(sessions.kw["bind"]) is None
    async with write_turn(sessions, REPLY), write_turn(sessions, REPLY):
        pass  # nothing to wait for: rows are locked there, not the database
