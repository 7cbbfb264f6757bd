"""At INFO, ``eras run`` says what the bot did, not that it ran: one line for a round that did
something, none for an idle round, and no line per scheduler run or per HTTP request (those
show at DEBUG, or never, see ``bot.logs``)."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.logs import configure_logging
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


async def _run_a_scheduled_job() -> None:
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    scheduler = AsyncIOScheduler()
    scheduler.add_job(job, "date", run_date=datetime.now(UTC))
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), timeout=10)
        await asyncio.sleep(0.05)  # the scheduler logs the job's success after it returns
    finally:
        scheduler.shutdown(wait=False)


async def test_a_scheduler_run_leaves_no_line_at_info(bot_log: io.StringIO) -> None:
    configure_logging("INFO", stream=bot_log)
    await _run_a_scheduled_job()
    assert bot_log.getvalue() == ""


async def test_a_scheduler_run_shows_at_debug(bot_log: io.StringIO) -> None:
    configure_logging("DEBUG", stream=bot_log)
    await _run_a_scheduled_job()
    assert re.search(r"DEBUG apscheduler\.\S+: Running job", bot_log.getvalue())


async def test_a_request_to_telegram_leaves_no_line_at_info(bot_log: io.StringIO) -> None:
    configure_logging("INFO", stream=bot_log)
    telegram = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    async with httpx.AsyncClient(transport=telegram) as client:
        await client.post("https://api.telegram.org/bot1:token/getUpdates")
    assert bot_log.getvalue() == ""


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]


async def test_an_idle_round_says_nothing_and_a_busy_one_one_line_of_counts(
    journey: Journey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await journey.enrolled_patient()
    await journey.runtime._tick()  # whatever was left to do
    caplog.clear()

    await journey.runtime._tick()
    assert _said(caplog) == []

    journey.clock.set(POD1_9AM)  # her first check-in is due, and the ward's digest
    await journey.runtime._tick()
    # The audit chain's head moved meanwhile: its checkpoint is a line of its own, a copy
    # outside the database (a count and a hash, nothing about anyone).
    said = _said(caplog)
    checkpoints = [s for s in said if s.startswith("audit checkpoint ")]
    assert len(checkpoints) == 1
    assert re.fullmatch(r"audit checkpoint \d+: \d+ rows, last hash [0-9a-f]{64}", checkpoints[0])
    (line,) = [s for s in said if s not in checkpoints]
    assert re.fullmatch(r"round: \d+ [a-z -]+(, \d+ [a-z -]+)*", line)
    assert "1 check-ins sent" in line
