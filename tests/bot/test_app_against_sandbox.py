"""The real bot, python-telegram-bot and all, against the sandbox over HTTP."""

from __future__ import annotations

from bot.app import WELCOME
from bot.sandbox import Sandbox


async def test_start_is_answered_with_the_welcome(sandbox: Sandbox, application: object) -> None:
    alice = sandbox.user("Alice")

    sandbox.send_text(alice, "/start")

    reply = await sandbox.wait_for_message(alice)
    assert reply["text"] == WELCOME
    assert reply["from"]["username"] == sandbox.bot_username
    assert sandbox.ledger.calls("getUpdates")  # it came in by long polling
