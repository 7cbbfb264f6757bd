"""Scale: does the bot's cost follow what is due, or the size of the cohort?

For each cohort size, a fresh database holds that many enrolled patients at every stage of
their follow-up, with their schedules as rows (about fifteen check-ins each), the first
message of every check-in sent so far, and the alerts some of them raised. Then:

- enrolment through the real service, timed per patient on a sample;
- ``eras run`` in its own process: seconds to its first poll, and its resident memory;
- the dispatcher's tick with nothing due, and with a batch of check-ins due;
- the plans of every statement the bot ran meanwhile: ticks, sending, patients replying
  (some with a red flag), the alert and its escalation.

The cohort is shaped around an instant two hours ahead, so that the separate ``eras run``
process, on the real clock, finds nothing due; the in-process bot runs on that instant.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks import plans
from benchmarks.bot import daytime_zone, unlimited
from benchmarks.cohort import ZONES, CohortSpec, add_cohort, add_teams, make_due
from benchmarks.questions import answer, wait_for_questions
from benchmarks.startup import start_up
from benchmarks.stats import percentile
from benchmarks.telegram import Telegram
from bot.app.runtime import BotRuntime
from bot.clock import FakeClock
from bot.patients.enrolment.enrol import enrol
from db.engine import create_engine

AHEAD = timedelta(hours=2)
TEAMS = 10
ANSWERING = 10  # patients who reply during the plan capture, each with a red flag


async def one_cohort(
    database_url: str,
    telegram: Telegram,
    patients: int,
    *,
    due: int,
    enrolments: int,
    ticks: int,
) -> dict[str, Any]:
    now = (datetime.now(UTC) + AHEAD).replace(second=0, microsecond=0)
    # One patient in four lives where it is early afternoon: the ones made due, so that no
    # quiet hours hold their check-ins back.
    zones = (daytime_zone(now), *ZONES)
    awake = list(range(0, patients, len(zones)))
    due = min(due, max(0, len(awake) - ANSWERING))
    linked = awake[: due + ANSWERING]
    figures: dict[str, Any] = {"patients": patients}
    engine = create_engine(database_url)
    try:
        teams = await add_teams(engine, await telegram.groups(TEAMS), now)
        chats = dict(zip(linked, await telegram.patients(len(linked)), strict=True))
        started = time.perf_counter()
        cohort = await add_cohort(engine, CohortSpec(patients, now, teams, chats, zones=zones))
        figures["bulk_setup_seconds"] = round(time.perf_counter() - started, 1)
        figures["rows"] = cohort.rows
        figures["enrolment_ms"] = await _enrolments(engine, enrolments, now)
    finally:
        await engine.dispose()
    figures["eras_run"] = await start_up(database_url, telegram)
    runtime = BotRuntime(telegram.settings(database_url), FakeClock(now), pacer=unlimited())
    log = plans.StatementLog(runtime.engine)
    await runtime.start()
    try:
        idle = [await _timed(runtime.dispatcher.tick) for _ in range(ticks)]
        figures["tick_nothing_due_ms"] = _ms_summary(idle)
        with log.recording("tick, nothing due"):
            await runtime.dispatcher.tick()
            await runtime.escalator.tick()
        batch = [cohort.episode_ids[n] for n in linked[:due]]
        await make_due(runtime.engine, batch, now - timedelta(minutes=1))
        started = time.perf_counter()
        report = await runtime.dispatcher.tick()
        seconds = time.perf_counter() - started
        figures["tick_due"] = {
            "check_ins": len(batch),
            "sent": report.sent,  # by this one tick
            "deferred": report.deferred,
            "ms": round(seconds * 1000, 1),
        }
        answering = linked[due:]
        await make_due(
            runtime.engine, [cohort.episode_ids[n] for n in answering], now - timedelta(minutes=1)
        )
        with log.recording("tick, check-ins due"):
            while (await runtime.dispatcher.tick()).sent:
                pass  # until the answering patients' check-ins went too
        with log.recording("sending"):
            started = time.perf_counter()
            sent = await _send_all(runtime)
            figures["send"] = {"messages": sent, "seconds": round(time.perf_counter() - started, 2)}
        with log.recording("patients replying"):
            await _red_flags(telegram, runtime, {cohort.chat_ids[n] for n in answering})
        figures["queries"] = await plans.explain(log)
    finally:
        await runtime.stop()
    return figures


async def _enrolments(engine: Any, count: int, now: datetime) -> dict[str, Any]:
    """Patients enrolled one by one, as ``eras enroll`` does; milliseconds per patient."""
    from bot.protocols.catalogue import ProtocolCatalogue
    from bot.protocols.sources import load_protocols
    from db.engine import session_factory

    catalogue = ProtocolCatalogue(load_protocols(None))
    sessions = session_factory(engine)
    took = []
    for n in range(count):
        started = time.perf_counter()
        async with sessions.begin() as session:
            await enrol(
                session,
                catalogue,
                protocol_id="spine-miss-lumbar",
                team_name="Ward 1",
                ref=f"ENROL-{n:05d}",
                surgery_date=now.date() + timedelta(days=3),
                now=now,
                actor="cli:bench",
            )
        took.append(time.perf_counter() - started)
    return _ms_summary(took)


async def _timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


def _ms_summary(seconds: list[float]) -> dict[str, Any]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return {
        "n": len(seconds),
        "median": ms(percentile(seconds, 0.5)),
        "p95": ms(percentile(seconds, 0.95)),
        "max": ms(max(seconds) if seconds else None),
    }


async def _send_all(runtime: BotRuntime) -> int:
    sent = 0
    while batch := await runtime.sender.deliver_due():
        sent += batch
    return sent


async def _red_flags(telegram: Telegram, runtime: BotRuntime, chats: set[int]) -> None:
    """Each patient says yes to a red flag; the bot answers, alerts and escalates."""
    seq = 0
    for question, choice in (("red_flags", "some"), ("saddle_numbness", "yes")):
        asked = await wait_for_questions(telegram, chats, question, seq)
        seq = await telegram.last_seq()
        for chat, (message_id, checkin_id) in asked.items():
            await telegram.client.press_button(
                chat, message_id, answer(checkin_id, question, choice)
            )
        await _settle(runtime)


async def _settle(runtime: BotRuntime) -> None:
    """Handle what came in and send what that caused, until nothing is left."""
    for _ in range(20):
        report = await runtime.step()
        if not (report.updates or report.sent or report.tick.sent):
            return
        await asyncio.sleep(0)
