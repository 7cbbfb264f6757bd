"""``eras health`` tells whether the bot is doing its job, and exits 1 when it is not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import cli
from bot.delivery.outbox import enqueue
from bot.inbox.updates import HANDLER_FAILED, MAX_ATTEMPTS
from bot.reports.health import beat
from db.engine import create_engine, session_factory
from db.models import InboxUpdate, OutboxStatus

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    return CliRunner()


async def _health(runner: CliRunner) -> tuple[Result, dict[str, object]]:
    result = await asyncio.to_thread(runner.invoke, cli, ["health", "--json"])
    return result, json.loads(result.output)


async def _in_database(url: str, work: Callable[[Sessions], Awaitable[None]]) -> None:
    engine = create_engine(url)
    try:
        await work(session_factory(engine))
    finally:
        await engine.dispose()


async def test_a_bot_that_never_ticked_is_not_ok(runner: CliRunner) -> None:
    result, report = await _health(runner)
    assert result.exit_code == 1
    assert report["problems"] == ["the dispatcher has not ticked recently"]


async def test_a_ticking_bot_with_nothing_waiting_is_ok(
    runner: CliRunner, database_url: str
) -> None:
    now = datetime.now(UTC)

    async def ticked(sessions: Sessions) -> None:
        await beat(sessions, "ward-server:41", "polling", now - timedelta(hours=1), now)

    await _in_database(database_url, ticked)
    result, report = await _health(runner)
    assert result.exit_code == 0, result.output
    assert report["ok"] is True and report["outbox_backlog"] == 0
    assert report["processes"] == [
        {"owner": "ward-server:41", "mode": "polling", "last_tick_at": now.isoformat()}
    ]
    text = (await asyncio.to_thread(runner.invoke, cli, ["health"])).output
    assert "ward-server:41 (polling)" in text and text.rstrip().endswith("ok")


async def test_a_message_waiting_too_long_is_reported(runner: CliRunner, database_url: str) -> None:
    now = datetime.now(UTC)

    async def stuck(sessions: Sessions) -> None:
        await beat(sessions, "ward-server:41", "webhook", now, now)
        async with sessions.begin() as session:
            enqueue(
                session,
                chat_id=-100,
                now=now - timedelta(minutes=10),
                purpose="alert_card",
                payload={"text": "alert"},
            )

    await _in_database(database_url, stuck)
    result, report = await _health(runner)
    assert result.exit_code == 1
    assert report["problems"] == ["messages are waiting in the outbox"]
    assert report["outbox_backlog"] == 1 and report["oldest_unsent_seconds"] >= 600


async def test_an_update_set_aside_is_a_problem_and_an_uncertain_message_is_counted(
    runner: CliRunner, database_url: str
) -> None:
    now = datetime.now(UTC)

    async def troubled(sessions: Sessions) -> None:
        await beat(sessions, "ward-server:41", "polling", now, now)
        async with sessions.begin() as session:
            doubted = enqueue(
                session, chat_id=42, now=now, purpose="checkin_question", payload={"text": "?"}
            )
            doubted.status, doubted.uncertain_at = OutboxStatus.UNCERTAIN, now
            session.add(
                InboxUpdate(
                    update_id=7,
                    received_at=now,
                    payload={"update_id": 7},
                    processed_at=now,
                    attempts=MAX_ATTEMPTS,
                    error=HANDLER_FAILED,
                )
            )

    await _in_database(database_url, troubled)
    result, report = await _health(runner)
    assert result.exit_code == 1
    assert report["problems"] == ["updates were set aside after their handler kept failing"]
    assert report["set_aside_last_day"] == 1 and report["uncertain_last_day"] == 1
    text = (await asyncio.to_thread(runner.invoke, cli, ["health"])).output
    assert "messages left uncertain, last 24 h: 1" in text
