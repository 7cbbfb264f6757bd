"""Telegram's flood limits, when switched on: 429 with retry_after like the real thing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram import Bot
from telegram import error as tg

from bot.sandbox import Limits, Sandbox
from tests.fixtures.telegram import plain_bot


async def test_a_burst_to_one_private_chat_is_told_to_retry_after_a_second(
    sandbox: Sandbox, bot: Bot
) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")
    sandbox.enforce_limits(True)

    for n in range(Limits().private_burst):
        await bot.send_message(alice.chat_id, f"message {n}")
    with pytest.raises(tg.RetryAfter) as refused:
        await bot.send_message(alice.chat_id, "one too many")

    assert refused.value.retry_after == timedelta(seconds=1)
    call = sandbox.ledger.calls("sendMessage")[-1]
    assert (call.status, call.retry_after, call.fault) == (429, 1, None)
    assert "Too Many Requests: retry after 1" in (call.description or "")


async def test_a_group_gets_twenty_messages_a_minute(sandbox: Sandbox, bot: Bot) -> None:
    ward = sandbox.group("Ward 5")
    sandbox.enforce_limits(True)

    for n in range(20):
        await bot.send_message(ward.chat_id, f"alert {n}")
    with pytest.raises(tg.RetryAfter) as refused:
        await bot.send_message(ward.chat_id, "alert 21")

    # One more message fits every 60/20 seconds.
    assert refused.value.retry_after == timedelta(seconds=3)


async def test_all_chats_together_get_thirty_messages_a_second() -> None:
    # The limits' clock stands still, so the test does not depend on how fast HTTP is here.
    async with Sandbox(monotonic=lambda: 1000.0) as sandbox, plain_bot(sandbox) as bot:
        people = [sandbox.user(f"Patient {n}") for n in range(31)]
        for person in people:
            sandbox.send_text(person, "/start")
        sandbox.enforce_limits(True)

        for person in people[:30]:
            await bot.send_message(person.chat_id, "Morning check-in")
        with pytest.raises(tg.RetryAfter):
            await bot.send_message(people[30].chat_id, "Morning check-in")


async def test_limits_are_off_unless_switched_on(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")

    for n in range(10):
        await bot.send_message(alice.chat_id, f"message {n}")

    assert all(call.ok for call in sandbox.ledger.calls("sendMessage"))


async def test_limits_can_be_tightened_for_a_test(sandbox: Sandbox, bot: Bot) -> None:
    ward = sandbox.group("Ward 5")
    sandbox.enforce_limits(True, Limits(group_per_minute=60, group_burst=1))

    await bot.send_message(ward.chat_id, "alert")
    with pytest.raises(tg.RetryAfter):
        await bot.send_message(ward.chat_id, "alert")


class Seconds:
    """The limits' clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_sliding_window_refuses_the_31st_request_within_a_second_as_telegram_does() -> None:
    clock = Seconds()
    async with Sandbox(monotonic=clock) as sandbox, plain_bot(sandbox) as bot:
        people = [sandbox.user(f"Patient {n}") for n in range(40)]
        for person in people:
            sandbox.send_text(person, "/start")
        sandbox.enforce_limits(True, Limits(sliding_window=True))
        start = clock.now

        # 30 evenly spaced a second: the 31st, 5 ms short of a second after the first, is
        # one too many (a bucket of 30 that refills 30 a second would take it).
        for n, person in enumerate(people[:30]):
            clock.now = start + n / 30
            await bot.send_message(person.chat_id, "Morning check-in")
        clock.now = start + 0.995
        with pytest.raises(tg.RetryAfter) as refused:
            await bot.send_message(people[30].chat_id, "Morning check-in")
        assert refused.value.retry_after == timedelta(seconds=1)

        # Until retry_after has passed, the whole bot is refused, whatever the chat.
        clock.now = start + 1.9
        with pytest.raises(tg.RetryAfter):
            await bot.send_message(people[31].chat_id, "Morning check-in")
        clock.now = start + 1.995
        await bot.send_message(people[32].chat_id, "Morning check-in")

    statuses = [call.status for call in sandbox.ledger.calls("sendMessage")]
    assert statuses == [200] * 30 + [429, 429, 200]
