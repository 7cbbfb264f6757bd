"""The real bot, run in the benchmark's process as ``eras run`` runs it, against the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from benchmarks.telegram import Telegram
from bot.app.runtime import BotRuntime
from bot.delivery.pacing import Pacer


def unlimited() -> Pacer:
    """No pacing at all: what the program costs by itself, Telegram's limits aside."""
    return Pacer(overall_per_second=1e9, private_interval=0.0, group_per_minute=10**9)


@asynccontextmanager
async def running_bot(
    telegram: Telegram, database_url: str, pacer: Pacer
) -> AsyncIterator[BotRuntime]:
    """The bot polling, ticking and sending until the block ends."""
    runtime = BotRuntime(telegram.settings(database_url), pacer=pacer)
    await runtime.start()
    task = asyncio.create_task(runtime.run())
    try:
        await telegram.client.wait_for_poller(within=60)
        yield runtime
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runtime.stop()


def daytime_zone(now: datetime) -> str:
    """A time zone where ``now`` is early afternoon: no quiet hours hold a check-in back."""
    hours = (13 - now.hour) % 24
    offset = hours if hours <= 12 else hours - 24  # Etc/GMT-N is N hours ahead of UTC
    zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"
    ZoneInfo(zone)  # exists, or fail here rather than in the dispatcher
    return zone
