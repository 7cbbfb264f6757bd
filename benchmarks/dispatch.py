"""Dispatch: many check-ins fall due at the same minute; how soon do they all reach patients?

The real bot runs as ``eras run`` runs it (polling, the dispatcher's tick, the sender) with
the sandbox as Telegram. With Telegram's limits, the sandbox enforces them and the ledger
shows whether the bot kept to them; without, the bot's pacing is off too, and what is left
is the program's own cost per message.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from benchmarks import ledger
from benchmarks.bot import daytime_zone, running_bot, unlimited
from benchmarks.cohort import CohortSpec, add_cohort, add_teams, make_due
from benchmarks.stats import percentile
from benchmarks.telegram import Telegram
from bot.app.runtime import BotRuntime
from bot.delivery.pacing import OVERALL_PER_SECOND, Pacer
from bot.sandbox.api.limits import Limits
from db.engine import create_engine
from db.models import CheckIn, CheckInStatus, OutboxMessage, OutboxStatus

POLL = 0.5  # seconds between looks at whether everything went


async def dispatch(
    database_url: str, telegram: Telegram, check_ins: int, *, limited: bool
) -> dict[str, Any]:
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        chats = await telegram.patients(check_ins)
        teams = await add_teams(engine, await telegram.groups(1), now)
        cohort = await add_cohort(
            engine,
            CohortSpec(
                check_ins,
                now,
                teams,
                dict(enumerate(chats)),
                zones=(daytime_zone(now),),
                surgery_days=(2, 10),
            ),
        )
    finally:
        await engine.dispose()
    await telegram.client.enforce_limits(limited, Limits())
    pacer = Pacer() if limited else unlimited()
    async with running_bot(telegram, database_url, pacer) as runtime:
        seq = await telegram.last_seq()
        due = datetime.now(UTC)
        await make_due(runtime.engine, cohort.episode_ids, due)
        started, cpu, sandbox_cpu = time.perf_counter(), time.process_time(), telegram.cpu_seconds()
        finished = await all_sent(runtime, due, _deadline(check_ins, limited))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        sandbox_cpu = _delta(telegram.cpu_seconds(), sandbox_cpu)
    calls = await telegram.calls(after=seq)
    return _figures(calls, set(cohort.chat_ids), due, finished, elapsed, cpu, sandbox_cpu, limited)


def _deadline(check_ins: int, limited: bool) -> float:
    """Seconds to give up after: three times what Telegram's pace allows, and then some."""
    messages = 2 * check_ins
    return 120 + (3 * messages / OVERALL_PER_SECOND if limited else messages / 50)


async def all_sent(runtime: BotRuntime, due: datetime, deadline: float) -> bool:
    """Wait until no check-in due then is waiting and nothing is left in the outbox."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        await asyncio.sleep(POLL)
        async with runtime.sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(CheckIn)
                .where(CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at <= due)
            )
            unsent = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            )
        if not waiting and not unsent:
            return True
    return False


def _figures(
    calls: list[dict[str, Any]],
    patients: set[int],
    due: datetime,
    finished: bool,
    elapsed: float,
    cpu: float,
    sandbox_cpu: float | None,
    limited: bool,
) -> dict[str, Any]:
    sends = [c for c in ledger.delivered(calls) if c["chat_id"] in patients]
    rate = ledger.sustained_rate(sends)
    first = ledger.first_to_each(sends)
    lateness = [call["wall"] - due.timestamp() for call in first.values()]
    figures: dict[str, Any] = {
        "limits": "telegram" if limited else "off",
        "check_ins": len(patients),
        "finished": finished,
        "patients_reached": len(first),
        "messages": len(sends),
        "seconds_to_deliver_all": round(sends[-1]["wall"] - due.timestamp(), 2) if sends else None,
        "sends_per_second": round(rate, 1) if rate else None,
        "too_many_requests": ledger.too_many_requests(calls),
        "lateness_p50_seconds": _round(percentile(lateness, 0.5)),
        "lateness_max_seconds": _round(max(lateness) if lateness else None),
        "two_within_a_second": ledger.close_together(sends),
        "bot_cpu_seconds": round(cpu, 2),
        "bot_cpu_seconds_per_1000_sends": round(1000 * cpu / len(sends), 3) if sends else None,
        "sandbox_cpu_seconds": _round(sandbox_cpu),
        "wall_seconds": round(elapsed, 2),
    }
    if limited:
        figures["configured_cap_per_second"] = OVERALL_PER_SECOND
        figures["share_of_cap"] = round(rate / OVERALL_PER_SECOND, 3) if rate else None
    return figures


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before
