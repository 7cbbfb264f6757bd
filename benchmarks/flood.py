"""A stranger's flood: while one account that is neither staff nor a patient sends
thousands of messages as fast as it can, how soon are patients answered?

Patients write ``/status`` at a steady rate, before the flood ("quiet") and while it lasts
("flood"). Measured from the moment the patient sent it (before the bot could fetch it:
time waiting at Telegram counts) to the arrival of the bot's answer in their chat, both on
the machine's monotonic clock, which the sandbox's ledger uses too. Also: how
many answers the stranger got, and whether ``/health`` stayed green.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks import ledger
from benchmarks.alerts import PATIENTS_PER_TEAM
from benchmarks.bot import daytime_zone, running_bot
from benchmarks.cohort import CohortSpec, add_cohort, add_teams
from benchmarks.questions import WAIT
from benchmarks.stats import summary_ms
from benchmarks.telegram import Telegram
from bot.delivery.pacing import Pacer
from bot.sandbox.api.limits import Limits
from bot.sandbox.serving.client import SandboxClient
from db.engine import create_engine

IN_FLIGHT = 32  # the stranger's messages on their way at once


async def stranger_flood(
    database_url: str,
    telegram: Telegram,
    *,
    patients: int,
    messages: int,
    reply_rate: float = 5.0,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        chats = await telegram.patients(patients * 2)
        teams = await add_teams(
            engine, await telegram.groups(math.ceil(patients * 2 / PATIENTS_PER_TEAM)), now
        )
        await add_cohort(
            engine,
            CohortSpec(
                patients * 2,
                now,
                teams,
                dict(enumerate(chats)),
                zones=(daytime_zone(now),),
                surgery_days=(2, 10),
                ref_prefix="FLOOD",
            ),
        )
    finally:
        await engine.dispose()
    stranger = (await telegram.client.user("Stranger", started=True))["id"]
    await telegram.client.enforce_limits(True, Limits())
    results: dict[str, Any] = {"patients_per_run": patients, "stranger_messages": messages}
    async with running_bot(telegram, database_url, Pacer()) as runtime:
        results["quiet"] = await _patients_write(telegram, chats[:patients], reply_rate)
        seq = await telegram.last_seq()
        started = time.perf_counter()
        flooding = asyncio.create_task(_flood(telegram, stranger, messages))
        results["flood"] = await _patients_write(telegram, chats[patients:], reply_rate)
        await flooding
        results["flood_sent_in_seconds"] = round(time.perf_counter() - started, 1)
        health = await runtime.health()
        results["health_problems_after_flood"] = health["problems"]
        calls = await telegram.calls("sendMessage", after=seq)
        results["answers_to_the_stranger"] = sum(
            1 for c in ledger.delivered(calls) if c["chat_id"] == stranger
        )
    return results


async def _flood(telegram: Telegram, stranger: int, messages: int) -> None:
    """The stranger writes from a process of its own, as an attacker would: its requests
    must not take the bot's event loop from it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.flood", telegram.url, str(stranger), str(messages)
    )
    if await process.wait() != 0:
        raise RuntimeError("the stranger's process failed")


async def _send(url: str, stranger: int, messages: int) -> None:
    turns = asyncio.Semaphore(IN_FLIGHT)
    async with SandboxClient(url) as client:

        async def one(n: int) -> None:
            async with turns:
                await client.send_text(stranger, f"let me in {n}")

        await asyncio.gather(*(one(n) for n in range(messages)))


async def _patients_write(telegram: Telegram, chats: list[int], rate: float) -> dict[str, Any]:
    seq = await telegram.last_seq()
    sent: dict[int, float] = {}  # chat -> when
    started = time.perf_counter()

    async def write(chat: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - (time.perf_counter() - started)))
        sent[chat] = time.monotonic()
        await telegram.client.send_text(chat, "/status")

    await asyncio.gather(*(write(chat, n / rate) for n, chat in enumerate(chats)))
    answered = await _answers(telegram, set(chats), seq)
    latencies = [answered[chat] - sent[chat] for chat in sent if chat in answered]
    return {
        "unanswered": len(chats) - len(latencies),
        "reply_to_answer": summary_ms(latencies),
    }


async def _answers(telegram: Telegram, chats: set[int], after: int) -> dict[int, float]:
    """When each chat got its first message after ``after``, waiting for them all."""
    found: dict[int, float] = {}
    give_up = time.monotonic() + WAIT
    while len(found) < len(chats) and time.monotonic() < give_up:
        await asyncio.sleep(0.5)
        calls = await telegram.calls("sendMessage", after=after)
        after = max([after, *(c["seq"] for c in calls)])
        for call in ledger.delivered(calls):
            if call["chat_id"] in chats and call["chat_id"] not in found:
                found[call["chat_id"]] = call["at"]
    return found


if __name__ == "__main__":  # the stranger: URL USER_ID MESSAGES
    asyncio.run(_send(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
