"""Only one process polls Telegram: a second waits, says so, and takes over later."""

from __future__ import annotations

import asyncio

from db.engine import create_engine
from db.locks import exclusive

KEY = 42_424_242


async def test_a_second_holder_waits_until_the_first_lets_go(database_url: str) -> None:
    first, second = create_engine(database_url), create_engine(database_url)
    events: list[str] = []
    holding, tried, released = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def hold_first() -> None:
        async with exclusive(first, KEY, lambda: events.append("first waited")):
            events.append("first holds")
            holding.set()
            await released.wait()
        events.append("first let go")

    def second_waits() -> None:
        events.append("second waits")
        tried.set()

    async def then_second() -> None:
        async with exclusive(second, KEY, second_waits, retry_seconds=0.05):
            events.append("second holds")
            tried.set()

    try:
        holder = asyncio.create_task(hold_first())
        await asyncio.wait_for(holding.wait(), timeout=5)
        contender = asyncio.create_task(then_second())
        await asyncio.wait_for(tried.wait(), timeout=5)  # real time: a machine may be loaded
        await asyncio.sleep(0.2)  # and, on PostgreSQL, tried again meanwhile without getting it
        if first.dialect.name == "postgresql":
            assert events == ["first holds", "second waits"]
        else:  # one SQLite file is one process's: nothing to wait for
            assert events == ["first holds", "second holds"]
        released.set()
        await asyncio.wait_for(asyncio.gather(holder, contender), timeout=5)
    finally:
        await first.dispose()
        await second.dispose()
    assert events[-1] in ("second holds", "first let go")
    assert "second holds" in events
    if first.dialect.name == "postgresql":
        assert events.index("first let go") < events.index("second holds")
