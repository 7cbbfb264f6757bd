"""Long polling as Telegram does it: offsets, timeouts, filters and one poller at a time."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot
from telegram import error as tg

from bot.sandbox import Sandbox, SandboxServer
from tests.fixtures.telegram import plain_bot


@pytest.fixture
def sandbox(served_sandbox: SandboxServer) -> SandboxServer:
    """Long polls over HTTP: a poller that gives up cancels its request at the server."""
    return served_sandbox


async def test_updates_wait_until_confirmed_by_a_higher_offset(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    for text in ("one", "two", "three"):
        sandbox.send_text(alice, text)

    first = await bot.get_updates()
    again = await bot.get_updates()
    after_two = await bot.get_updates(offset=first[1].update_id + 1)

    assert [u.message.text for u in first] == ["one", "two", "three"]
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert [u.message.text for u in after_two] == ["three"]
    assert [u["message"]["text"] for u in sandbox.pending_updates()] == ["three"]


async def test_a_negative_offset_keeps_only_the_latest_updates(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    for text in ("one", "two", "three"):
        sandbox.send_text(alice, text)

    latest = await bot.get_updates(offset=-1)

    assert [u.message.text for u in latest] == ["three"]


async def test_limit_caps_how_many_updates_come_at_once(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    for text in ("one", "two", "three"):
        sandbox.send_text(alice, text)

    assert [u.message.text for u in await bot.get_updates(limit=2)] == ["one", "two"]


async def test_long_polling_answers_as_soon_as_an_update_arrives(
    sandbox: Sandbox, bot: Bot
) -> None:
    alice = sandbox.user("Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await sandbox.wait_for_poller()
    started = time.monotonic()

    sandbox.send_text(alice, "I have a fever")
    updates = await asyncio.wait_for(poll, timeout=2)

    assert [u.message.text for u in updates] == ["I have a fever"]
    assert time.monotonic() - started < 1


async def test_long_polling_with_nothing_to_say_answers_empty_after_the_timeout(
    bot: Bot,
) -> None:
    started = time.monotonic()

    assert await bot.get_updates(timeout=1) == ()

    assert 0.9 <= time.monotonic() - started < 2


async def test_allowed_updates_leaves_out_other_kinds(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "hello")
    sandbox.send_raw_update(
        {"edited_message": {"message_id": 1, "date": 0, "chat": alice.as_chat()}}
    )

    updates = await bot.get_updates(allowed_updates=["edited_message"])

    assert [u.edited_message is not None for u in updates] == [True]


async def test_chat_member_updates_come_only_when_asked_for(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.send_raw_update({"chat_member": {}})

    assert await bot.get_updates() == ()


async def test_a_second_poller_ends_the_first_with_409(sandbox: Sandbox, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await sandbox.wait_for_poller()

    async with plain_bot(sandbox) as other_process:
        second = await other_process.get_updates(timeout=0)

    with pytest.raises(tg.Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, timeout=2)
    assert second == ()


async def test_getupdates_while_a_webhook_is_set_is_a_conflict(bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/hook")

    with pytest.raises(tg.Conflict, match="webhook is active"):
        await bot.get_updates()
