"""python-telegram-bot alone: the floor under the dispatch benchmark's sends per second.

The same client the bot uses (built as the runtime builds it) sends messages to the
sandbox with no database, no outbox and no pacing around it, with as many requests in
flight as given. What it costs per message is what any sender built on it pays, however
lean the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from telegram.ext import Application

from benchmarks.telegram import Telegram
from bot.sandbox.api.limits import Limits

TEXT = "Good afternoon. Here is today's check-in, day 3 after your operation."


async def client_alone(
    telegram: Telegram, sends: int, in_flight: Sequence[int], chats: list[int] | None = None
) -> list[dict[str, Any]]:
    """``chats``: people to send to (default: 500 made for it)."""
    await telegram.client.enforce_limits(False, Limits())
    chats = chats or await telegram.patients(min(sends, 500))
    settings = telegram.settings("sqlite+aiosqlite:///unused.sqlite3")
    application = (
        Application.builder()
        .token(telegram.token)
        .base_url(settings.bot_api_base_url)
        .updater(None)
        .build()
    )
    await application.initialize()
    try:
        await _send(application, chats, min(len(chats), 500), max(in_flight))  # connections opened
        return [await _measure(application, chats, sends, n) for n in in_flight]
    finally:
        await application.shutdown()


async def _measure(
    application: Application[Any, Any, Any, Any, Any, Any], chats: list[int], sends: int, n: int
) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    await _send(application, chats, sends, n)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "in_flight": n,
        "sends": sends,
        "sends_per_second": round(sends / elapsed, 1),
        "cpu_ms_per_send": round(1000 * cpu / sends, 3),
    }


async def _send(
    application: Application[Any, Any, Any, Any, Any, Any], chats: list[int], sends: int, n: int
) -> None:
    slots = asyncio.Semaphore(n)

    async def one(index: int) -> None:
        async with slots:
            await application.bot.send_message(chats[index % len(chats)], TEXT)

    await asyncio.gather(*(one(index) for index in range(sends)))
