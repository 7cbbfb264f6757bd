"""The bot's loops outlive a round that failed on the database (SQLite locked by another
writer, PostgreSQL restarting): the next round takes up the work. A bot that cannot work at
all (Telegram refuses its token) still stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

import bot.app.runtime
from bot.delivery.sender import FatalDeliveryError
from tests.fixtures.journey import Journey

LOCKED = sqlite3.OperationalError("database is locked")


async def test_a_failed_round_of_sending_is_followed_by_the_next(
    journey: Journey, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(bot.app.runtime, "ROUND_AGAIN_SECONDS", 0.01)
    rounds: list[str] = []
    delivered_again = asyncio.Event()

    async def deliver_due() -> int:
        if not rounds:
            rounds.append("failed")
            raise OperationalError("UPDATE outbox_messages …", {"text": "my wound"}, LOCKED)
        rounds.append("delivered")
        delivered_again.set()
        return 0

    monkeypatch.setattr(journey.runtime.sender, "deliver_due", deliver_due)
    sending = asyncio.create_task(journey.runtime._send_forever())
    try:
        await asyncio.wait_for(delivered_again.wait(), timeout=10)
    finally:
        sending.cancel()
    assert rounds[:2] == ["failed", "delivered"]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning == "sending failed, trying again: OperationalError"  # nothing it quoted


async def test_a_bot_that_cannot_send_at_all_still_stops(
    journey: Journey, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def deliver_due() -> int:
        raise FatalDeliveryError("Unauthorized: the token was revoked")

    monkeypatch.setattr(journey.runtime.sender, "deliver_due", deliver_due)
    with pytest.raises(FatalDeliveryError):
        await asyncio.wait_for(journey.runtime._send_forever(), timeout=10)


async def test_a_stopping_bot_stops_even_when_the_cancellation_surfaces_as_an_error(
    journey: Journey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver cancelled mid-query may raise its own error instead of CancelledError; the
    loop must not take that for a failed round and go on for ever."""
    started, cancels = asyncio.Event(), 0

    async def deliver_due() -> int:
        nonlocal cancels
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancels += 1
            if cancels == 1:
                raise OperationalError("ROLLBACK", {}, LOCKED) from None
            raise
        return 0

    monkeypatch.setattr(journey.runtime.sender, "deliver_due", deliver_due)
    sending = asyncio.create_task(journey.runtime._send_forever())
    journey.runtime._wake.set()
    await asyncio.wait_for(started.wait(), timeout=10)
    sending.cancel()
    done, _ = await asyncio.wait([sending], timeout=5)
    if not done:  # end the loop all the same, then fail
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
    assert done == {sending}, "the loop went on after it was asked to stop"
    assert isinstance(sending.exception(), OperationalError)
