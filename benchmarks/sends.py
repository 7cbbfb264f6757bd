"""Durable sends: the outbox sender alone against python-telegram-bot alone, in one run.

An outbox holding ``sends`` messages (one per patient, all due) is drained by the bot's own
sender, built as ``eras run`` builds it, with Telegram's limits off in the sandbox and in
the pacer: every message is written down as begun before its request leaves and its
outcome after, as always. Before and after, python-telegram-bot sends as many messages
with nothing around it at the sender's concurrency. The ratios of the two (CPU per send,
sends per second) are the figures: measured minutes apart on the same machine, they hold
when the machine's load moves single figures. With ``profile`` the sender's drain runs
under cProfile and the statistics are written there.
"""

from __future__ import annotations

import cProfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.bot import unlimited
from benchmarks.client import client_alone
from benchmarks.telegram import Telegram
from bot.app.runtime import BotRuntime
from bot.delivery.outbox import PRIORITY_ROUTINE
from bot.delivery.sender import IN_FLIGHT
from bot.sandbox.api.limits import Limits
from db.models import OutboxMessage, OutboxStatus

TEXT = "Good afternoon. Here is today's check-in, day 3 after your operation."
ROWS_AT_ONCE = 1_000


async def durable_sends(
    database_url: str, telegram: Telegram, sends: int, *, profile: Path | None = None
) -> dict[str, Any]:
    await telegram.client.enforce_limits(False, Limits())
    chats = await telegram.patients(sends)
    before = await client_alone(telegram, sends, (IN_FLIGHT,), chats=chats)
    runtime = BotRuntime(telegram.settings(database_url), pacer=unlimited())
    await runtime.application.initialize()
    try:
        await fill_outbox(runtime.sessions, chats)
        sender = _sender(runtime, profile)
        started, cpu = time.perf_counter(), time.process_time()
        sender.enable()
        rounds = 0
        while await runtime.sender.deliver_due():
            rounds += 1
        sender.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        sent = await _count(runtime, OutboxStatus.SENT)
        batch_sizes = runtime.sender.batch_sizes
    finally:
        await runtime.application.shutdown()
        await runtime.engine.dispose()
    if profile is not None:
        sender.dump_stats(str(profile))
    after = await client_alone(telegram, sends, (IN_FLIGHT,), chats=chats)
    client = {
        "sends_per_second": (before[0]["sends_per_second"] + after[0]["sends_per_second"]) / 2,
        "cpu_ms_per_send": (before[0]["cpu_ms_per_send"] + after[0]["cpu_ms_per_send"]) / 2,
    }
    figures: dict[str, Any] = {
        "sends": sends,
        "sent": sent,
        "rounds": rounds,
        "in_flight": IN_FLIGHT,
        "messages_per_transaction": batch_sizes,
        "sends_per_second": round(sent / elapsed, 1) if sent else None,
        "cpu_ms_per_send": round(1000 * cpu / sent, 3) if sent else None,
        "client_before": before[0],
        "client_after": after[0],
    }
    if sent:
        figures["cpu_ratio_to_client"] = round(
            figures["cpu_ms_per_send"] / client["cpu_ms_per_send"], 2
        )
        figures["throughput_share_of_client"] = round(
            figures["sends_per_second"] / client["sends_per_second"], 3
        )
    return figures


class _Off:
    """A profiler that does nothing, for runs without one."""

    def enable(self) -> None: ...

    def disable(self) -> None: ...


def _sender(runtime: BotRuntime, profile: Path | None) -> Any:
    # The main thread's CPU time, not the wall clock: on a shared machine the wall clock
    # charges each function with the time other processes ran meanwhile.
    return cProfile.Profile(time.thread_time) if profile is not None else _Off()


async def fill_outbox(sessions: async_sessionmaker[AsyncSession], chats: list[int]) -> None:
    """One routine message per patient, due now, written as ``enqueue`` writes them."""
    now = datetime.now(UTC)
    rows = [
        {
            "chat_id": chat,
            "method": "sendMessage",
            "payload": {"text": TEXT},
            "purpose": "benchmark",
            "priority": PRIORITY_ROUTINE,
            "status": OutboxStatus.PENDING,
            "not_before": now,
            "attempts": 0,
            "created_at": now,
        }
        for chat in chats
    ]
    async with sessions.begin() as session:
        for start in range(0, len(rows), ROWS_AT_ONCE):
            await session.execute(insert(OutboxMessage), rows[start : start + ROWS_AT_ONCE])


async def _count(runtime: BotRuntime, status: OutboxStatus) -> int:
    async with runtime.sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        )
    return int(found or 0)
