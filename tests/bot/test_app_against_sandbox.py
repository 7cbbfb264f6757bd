"""The real bot, python-telegram-bot and all, against the sandbox over HTTP."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram import error as tg
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.sandbox import (
    Blocked,
    CantParseEntities,
    ChatNotFound,
    Conflict,
    Deactivated,
    DropConnection,
    Fault,
    MalformedBody,
    Migrated,
    NotModified,
    Person,
    Sandbox,
    ServerError,
    Slow,
    TooManyRequests,
    Unauthorized,
)
from tests.fixtures.minimal_bot import WELCOME

App = Application  # type: ignore[type-arg]


async def open_chat(sandbox: Sandbox, name: str = "Alice") -> Person:
    """A person who has written to the bot (a bot cannot write first), seen by the bot."""
    person = sandbox.user(name)
    update = sandbox.send_text(person, "hello")
    assert update is not None
    await sandbox.wait_until_fetched(update)
    return person


async def test_start_is_answered_with_the_welcome(sandbox: Sandbox, application: App) -> None:
    alice = sandbox.user("Alice")

    sandbox.send_text(alice, "/start")

    reply = await sandbox.wait_for_message(alice)
    assert reply["text"] == WELCOME
    assert reply["from"]["username"] == sandbox.bot_username
    assert sandbox.ledger.calls("getUpdates")  # it came in by long polling


async def test_a_deep_link_payload_reaches_the_command_handler_as_its_argument(
    sandbox: Sandbox, application: App
) -> None:
    payloads: list[list[str]] = []

    async def remember(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        payloads.append(list(context.args or []))

    application.add_handler(CommandHandler("start", remember), group=-1)  # before the reply
    alice = sandbox.user("Alice")

    sandbox.open_deep_link(alice, "enrol-3f9a")

    await sandbox.wait_for_message(alice)
    assert payloads == [["enrol-3f9a"]]


async def test_retry_after_is_waited_out_before_the_chat_is_tried_again(
    sandbox: Sandbox, application: App
) -> None:
    alice = sandbox.user("Alice")
    sandbox.fail_next("sendMessage", chat_id=alice.chat_id, error=TooManyRequests(retry_after=1))

    sandbox.send_text(alice, "/start")

    await sandbox.wait_for_message(alice)
    refused, delivered = sandbox.ledger.calls("sendMessage", chat_id=alice.chat_id)
    assert (refused.status, refused.retry_after) == (429, 1)
    assert delivered.ok
    assert delivered.at - refused.done_at >= 1.0


@pytest.mark.parametrize(
    ("fault", "exception", "message"),
    [
        (Blocked(), tg.Forbidden, "Forbidden: bot was blocked by the user"),
        (Deactivated(), tg.Forbidden, "Forbidden: user is deactivated"),
        (ChatNotFound(), tg.BadRequest, "Chat not found"),
        (CantParseEntities(), tg.BadRequest, "Can't parse entities"),
        (NotModified(), tg.BadRequest, "Message is not modified"),
        (Migrated(migrate_to_chat_id=-1009876543210), tg.ChatMigrated, "-1009876543210"),
        (Conflict(), tg.Conflict, "terminated by other getUpdates request"),
        (Unauthorized(), tg.InvalidToken, "Unauthorized"),
        (ServerError(502), tg.NetworkError, "Bad Gateway"),
        (ServerError(500), tg.NetworkError, "Internal Server Error"),
        (Slow(seconds=2), tg.TimedOut, "Timed out"),
        (DropConnection(), tg.NetworkError, "Server disconnected"),
        (MalformedBody(), tg.TelegramError, "Invalid server response"),
    ],
    ids=lambda value: getattr(value, "kind", None),
)
async def test_telegram_errors_reach_the_bot_as_python_telegram_bot_exceptions(
    sandbox: Sandbox, application: App, fault: Fault, exception: type[Exception], message: str
) -> None:
    alice = await open_chat(sandbox)
    sandbox.fail_next("sendMessage", chat_id=alice.chat_id, error=fault)

    with pytest.raises(exception, match=message):
        await application.bot.send_message(
            alice.chat_id, "How is the pain today?", read_timeout=0.5
        )

    call = await sandbox.wait_for(lambda c: c.method == "sendMessage")
    assert call.fault == fault.kind


@pytest.mark.parametrize(
    ("delivered", "texts"),
    [(True, ["Check-in"]), (False, [])],
    ids=["server got to it", "server did not"],
)
async def test_a_timed_out_request_may_or_may_not_have_been_delivered(
    sandbox: Sandbox, application: App, delivered: bool, texts: list[str]
) -> None:
    # Why a read timeout is "uncertain": the bot cannot tell these two apart.
    alice = await open_chat(sandbox)
    sandbox.fail_next("sendMessage", error=Slow(seconds=2, delivered=delivered))

    with pytest.raises(tg.TimedOut):
        await application.bot.send_message(alice.chat_id, "Check-in", read_timeout=0.3)

    call = await sandbox.wait_for(lambda c: c.method == "sendMessage")
    assert call.outcome == "abandoned"
    assert (call.result is not None) == delivered
    assert [m["text"] for m in sandbox.messages_to(alice)] == texts


async def test_a_group_upgraded_to_a_supergroup_answers_with_its_new_id(
    sandbox: Sandbox, application: App
) -> None:
    ward = sandbox.group("Ward 5")
    supergroup = sandbox.migrate_to_supergroup(ward)

    with pytest.raises(tg.ChatMigrated) as raised:
        await application.bot.send_message(ward.chat_id, "New alert")

    assert raised.value.new_chat_id == supergroup.chat_id
    await application.bot.send_message(supergroup.chat_id, "New alert")
    assert [m["text"] for m in sandbox.messages_to(supergroup)] == ["New alert"]
