"""The inbox against the sandbox, on SQLite and PostgreSQL: updates are stored before they
are confirmed to Telegram, and each is handed to the application once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.clock import FakeClock
from bot.context import Services, Site
from bot.inbox.updates import (
    MAX_ATTEMPTS,
    PER_CHAT,
    InboxProcessor,
    Poller,
    PollingStopped,
    chat_of,
    store_updates,
)
from bot.protocols.catalogue import ProtocolCatalogue
from bot.sandbox import Sandbox, Unauthorized
from bot.telegram.handlers.fallback import add_fallback_handler
from bot.telegram.handlers.unit_of_work import unit_of_work
from db.models import InboxUpdate
from tests.fixtures.telegram import sandbox_settings

Sessions = async_sessionmaker[AsyncSession]
App = Application[Any, Any, Any, Any, Any, Any]

START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
CANARY = "canary-7f3e-patient-words"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def bot_url(sandbox: Sandbox) -> str:
    return f"{sandbox_settings(sandbox).bot_api_base_url}{sandbox.token}"


@pytest.fixture
async def open_poller(
    sandbox: Sandbox, sessions: Sessions, clock: FakeClock
) -> AsyncIterator[Callable[[], Poller]]:
    """Makes pollers (a new one is a restarted process); all are closed at the end."""
    pollers: list[Poller] = []

    def make() -> Poller:
        poller = Poller(sessions, bot_url(sandbox), clock, 1, transport=sandbox.transport())
        pollers.append(poller)
        return pollers[-1]

    yield make
    for poller in pollers:
        await poller.close()


async def stored(sessions: Sessions) -> list[InboxUpdate]:
    async with sessions() as session:
        return list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)))


def pending_ids(sandbox: Sandbox) -> list[int]:
    """Updates Telegram still holds for the bot: not yet confirmed."""
    return [update["update_id"] for update in sandbox.pending_updates()]


def text_update(update_id: int, text: str, chat_id: int = 100_000_001) -> dict[str, Any]:
    chat = {"id": chat_id, "type": "private", "first_name": "Alice"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_741_000_000,
            "chat": chat,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Alice"},
            "text": text,
        },
    }


# Storing --------------------------------------------------------------------------------


async def test_an_update_stored_twice_is_kept_once(sessions: Sessions, clock: FakeClock) -> None:
    first, second = text_update(1, "hello"), text_update(2, "pain 3")

    assert await store_updates(sessions, [first], clock) == 1
    assert await store_updates(sessions, [first, second], clock) == 1
    assert await store_updates(sessions, [second, first], clock) == 0

    rows = await stored(sessions)
    assert [(row.update_id, row.payload, row.processed_at) for row in rows] == [
        (1, first, None),
        (2, second, None),
    ]


async def test_an_update_without_an_id_telegram_could_send_is_not_stored(
    sessions: Sessions, clock: FakeClock
) -> None:
    """JSON's false is a Python int (0) and handlers would write it where a number goes;
    an id beyond BIGINT would fail the whole batch's insert at every poll."""
    odd = [text_update(1, "false"), text_update(2, "huge"), text_update(3, "minus")]
    odd[0]["update_id"], odd[1]["update_id"], odd[2]["update_id"] = False, 2**64, -3

    assert await store_updates(sessions, [*odd, text_update(4, "pain 2")], clock) == 1

    assert [row.update_id for row in await stored(sessions)] == [4]


async def test_updates_are_confirmed_only_by_the_poll_after_they_were_stored(
    sandbox: Sandbox, sessions: Sessions, open_poller: Callable[[], Poller]
) -> None:
    alice = sandbox.user("Alice")
    hello = sandbox.send_text(alice, "hello")
    assert hello is not None
    poller = open_poller()

    assert await poller.poll_once(wait_seconds=0) == 1

    assert [row.payload for row in await stored(sessions)] == [hello]
    assert pending_ids(sandbox) == [hello["update_id"]]  # stored, not yet confirmed

    later = sandbox.send_text(alice, "my wound is wet")
    assert later is not None
    assert await poller.poll_once(wait_seconds=0) == 1

    assert pending_ids(sandbox) == [later["update_id"]]
    assert [row.update_id for row in await stored(sessions)] == [
        hello["update_id"],
        later["update_id"],
    ]
    second_poll = sandbox.ledger.calls("getUpdates")[-1]
    assert second_poll.params["offset"] == hello["update_id"] + 1


async def test_updates_that_could_not_be_stored_are_not_confirmed(
    sandbox: Sandbox,
    sessions: Sessions,
    open_poller: Callable[[], Poller],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hello = sandbox.send_text(sandbox.user("Alice"), "hello")
    assert hello is not None
    poller = open_poller()

    async def database_down(*_: object) -> int:
        raise ConnectionError("the database is down")

    with monkeypatch.context() as patched:
        patched.setattr("bot.inbox.updates.store_updates", database_down)
        with pytest.raises(ConnectionError):
            await poller.poll_once(wait_seconds=0)

    assert await poller.poll_once(wait_seconds=0) == 1  # Telegram hands it over again
    assert [row.payload for row in await stored(sessions)] == [hello]
    assert "offset" not in sandbox.ledger.calls("getUpdates")[-1].params
    assert pending_ids(sandbox) == [hello["update_id"]]


async def test_a_restarted_poller_resumes_after_the_newest_stored_update(
    sandbox: Sandbox, sessions: Sessions, open_poller: Callable[[], Poller]
) -> None:
    alice = sandbox.user("Alice")
    first = [sandbox.send_text(alice, text) for text in ("hello", "pain 4")]
    assert await open_poller().poll_once(wait_seconds=0) == 2
    # The process stops here: both are stored, neither was confirmed.
    later = sandbox.send_text(alice, "pain 5")
    assert later is not None

    assert await open_poller().poll_once(wait_seconds=0) == 1

    resumed = sandbox.ledger.calls("getUpdates")[-1]
    assert resumed.params["offset"] == first[-1]["update_id"] + 1  # type: ignore[index]
    assert pending_ids(sandbox) == [later["update_id"]]
    assert len(await stored(sessions)) == 3


async def test_a_restarted_poller_resumes_after_the_update_received_last_not_the_highest(
    sandbox: Sandbox, sessions: Sessions, clock: FakeClock, open_poller: Callable[[], Poller]
) -> None:
    # After a week without updates Telegram numbers the next ones from a random point.
    await store_updates(sessions, [text_update(900_000_000, "weeks ago")], clock)
    clock.advance(timedelta(days=8))
    await store_updates(sessions, [text_update(41_000_000, "after the quiet week")], clock)

    await open_poller().poll_once(wait_seconds=0)

    assert sandbox.ledger.calls("getUpdates")[-1].params["offset"] == 41_000_001


async def set_webhook(sandbox: Sandbox, bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/telegram")


async def revoke_token(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.fail_next("getUpdates", error=Unauthorized())


@pytest.mark.parametrize("refusal", [set_webhook, revoke_token])
async def test_polling_stops_when_telegram_refuses_this_poller(
    sandbox: Sandbox,
    bot: Bot,
    sessions: Sessions,
    open_poller: Callable[[], Poller],
    refusal: Callable[[Sandbox, Bot], Awaitable[None]],
) -> None:
    update = sandbox.send_text(sandbox.user("Alice"), "hello")
    assert update is not None
    await refusal(sandbox, bot)

    with pytest.raises(PollingStopped):
        await open_poller().poll_once(wait_seconds=0)

    assert await stored(sessions) == []
    assert sandbox.ledger.calls("getUpdates")[-1].status in (401, 409)
    assert pending_ids(sandbox) == [update["update_id"]]


async def test_a_second_poller_of_the_same_bot_stops_the_first(
    sandbox: Sandbox, open_poller: Callable[[], Poller]
) -> None:
    first = asyncio.create_task(open_poller().poll_once(wait_seconds=5))
    await sandbox.wait_for_poller()

    assert await open_poller().poll_once(wait_seconds=0) == 0

    with pytest.raises(PollingStopped, match="409"):
        async with asyncio.timeout(5):
            await first


# Processing -----------------------------------------------------------------------------


@pytest.fixture
async def application(sandbox: Sandbox) -> AsyncIterator[App]:
    """python-telegram-bot's Application on the sandbox, without an updater of its own."""
    built = (
        Application.builder()
        .token(sandbox.token)
        .base_url(sandbox_settings(sandbox).bot_api_base_url)
        .request(sandbox.request())
        .updater(None)
        .build()
    )
    async with built:
        yield built


@pytest.fixture
def handled(application: App) -> list[str]:
    """Texts of the messages the application's handler was given, in order."""
    texts: list[str] = []

    async def remember(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        texts.append(update.effective_message.text or "")

    application.add_handler(MessageHandler(filters.TEXT, remember))
    return texts


async def test_each_stored_update_reaches_the_application_once(
    sandbox: Sandbox,
    sessions: Sessions,
    clock: FakeClock,
    application: App,
    handled: list[str],
    open_poller: Callable[[], Poller],
) -> None:
    alice = sandbox.user("Alice")
    for text in ("hello", "pain 3", "no fever"):
        sandbox.send_text(alice, text)
    await open_poller().poll_once(wait_seconds=0)
    processor = InboxProcessor(sessions, application, clock)

    # Two runs at once (a tick that overlaps the last one), then one more.
    await asyncio.gather(processor.process_pending(), processor.process_pending())
    assert await processor.process_pending() == 0

    assert handled == ["hello", "pain 3", "no fever"]
    rows = await stored(sessions)
    assert [(row.processed_at, row.attempts, row.error) for row in rows] == [(START, 1, None)] * 3


async def test_an_update_its_handler_took_costs_no_statement_more(
    sessions: Sessions, clock: FakeClock, application: App
) -> None:
    """The handler's mark, committed in this process, is known without asking the database:
    the fallback handler opens no transaction for it and the inbox does not read it back."""
    services = Services(sessions, ProtocolCatalogue({}), Site("112"), clock, lambda: None)
    application.bot_data["services"] = services
    taken: list[int] = []

    async def take(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        async with unit_of_work(services, update) as session:
            assert session is not None
        taken.append(update.update_id)

    application.add_handler(MessageHandler(filters.TEXT, take))
    add_fallback_handler(application)
    await store_updates(sessions, [text_update(7, "hello")], clock)
    after_commit: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if taken:
            after_commit.append(statement)

    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        await InboxProcessor(sessions, application, clock).process_pending()
    finally:
        event.remove(engine, "before_cursor_execute", note)

    assert taken == [7]
    assert [(row.processed_at, row.attempts, row.error) for row in await stored(sessions)] == [
        (START, 1, None)
    ]
    # Only the inbox's look for what is pending next; no mark written or read again.
    assert after_commit, "the inbox looks for the next updates"
    assert all("row_number" in statement.lower() for statement in after_commit)


async def test_a_malformed_update_is_set_aside_without_its_content_in_the_log(
    sessions: Sessions,
    clock: FakeClock,
    application: App,
    handled: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    malformed = {"update_id": 41, "message": {"text": CANARY, "chat": {"id": 5}}}
    await store_updates(sessions, [malformed, text_update(42, "pain 2")], clock)
    caplog.set_level(logging.DEBUG)

    assert await InboxProcessor(sessions, application, clock).process_pending() == 2

    set_aside, fine = await stored(sessions)
    assert set_aside.processed_at == START
    assert set_aside.error is not None and "malformed" in set_aside.error
    assert CANARY not in set_aside.error
    assert fine.error is None
    assert handled == ["pain 2"]  # the one after it is not held up
    assert CANARY not in caplog.text


def _failing_first(application: App, processor: InboxProcessor, times: int) -> list[str]:
    """A handler that fails on its first ``times`` calls, then records the text; failures
    reach the processor as the runtime's error handler passes them on."""
    calls: list[str] = []

    async def flaky(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        calls.append(update.effective_message.text or "")
        if len(calls) <= times:
            raise RuntimeError("the database went away for a moment")

    async def report(update: object, _: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            processor.handler_failed(update.update_id)

    application.add_handler(MessageHandler(filters.TEXT, flaky))
    application.add_error_handler(report)
    return calls


async def test_an_update_whose_handler_failed_is_tried_again(
    sessions: Sessions, clock: FakeClock, application: App
) -> None:
    processor = InboxProcessor(sessions, application, clock)
    calls = _failing_first(application, processor, times=2)
    await store_updates(sessions, [text_update(7, "pain 4")], clock)

    for _ in range(3):
        await processor.process_pending()

    assert calls == ["pain 4"] * 3
    [row] = await stored(sessions)
    assert (row.processed_at, row.attempts, row.error) == (START, 3, None)
    assert await processor.process_pending() == 0


async def test_an_update_that_always_fails_is_set_aside_after_a_few_tries(
    sessions: Sessions, clock: FakeClock, application: App, caplog: pytest.LogCaptureFixture
) -> None:
    processor = InboxProcessor(sessions, application, clock)
    calls = _failing_first(application, processor, times=100)
    await store_updates(sessions, [text_update(8, CANARY)], clock)

    for _ in range(MAX_ATTEMPTS + 2):
        await processor.process_pending()

    assert len(calls) == MAX_ATTEMPTS
    [row] = await stored(sessions)
    assert (row.processed_at, row.attempts, row.error) == (START, MAX_ATTEMPTS, "a handler failed")
    assert "update 8 set aside after" in caplog.text and CANARY not in caplog.text


async def test_an_update_the_library_itself_fails_on_does_not_hold_up_the_rest(
    sessions: Sessions,
    clock: FakeClock,
    application: App,
    handled: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An error raised by python-telegram-bot itself, outside any handler, is tried again
    and then set aside like a handler's, and the updates after it go on."""
    processor = InboxProcessor(sessions, application, clock)
    process_update = application.process_update

    async def choking_on_9(update: object) -> None:
        if isinstance(update, Update) and update.update_id == 9:
            raise TypeError("unhashable type: 'list'")
        await process_update(update)

    monkeypatch.setattr(application, "process_update", choking_on_9)
    await store_updates(sessions, [text_update(9, "odd"), text_update(10, "pain 2")], clock)

    for _ in range(MAX_ATTEMPTS):
        await processor.process_pending()

    assert handled == ["pain 2"]
    choked, fine = await stored(sessions)
    assert (choked.processed_at, choked.attempts, choked.error) == (
        START,
        MAX_ATTEMPTS,
        "a handler failed",
    )
    assert fine.error is None


async def test_a_chat_s_next_updates_do_not_wait_for_another_chat_s_slow_one(
    sessions: Sessions, clock: FakeClock, application: App
) -> None:
    released, last_of_b = asyncio.Event(), asyncio.Event()
    b_order: list[str] = []

    async def handle(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        text = update.effective_message.text or ""
        if text == "slow":
            await released.wait()  # a handler that takes long (a slow database, say)
            return
        b_order.append(text)
        if len(b_order) == PER_CHAT + 2:
            last_of_b.set()

    application.add_handler(MessageHandler(filters.TEXT, handle))
    b_texts = [f"b{n}" for n in range(PER_CHAT + 2)]  # more than one chat's turn
    await store_updates(
        sessions,
        [
            text_update(1, "slow", chat_id=100_000_001),
            *(text_update(2 + n, text, chat_id=100_000_002) for n, text in enumerate(b_texts)),
        ],
        clock,
    )
    processing = asyncio.create_task(InboxProcessor(sessions, application, clock).process_pending())
    try:
        # Before, a chat's next few waited for the slowest chat of the batch before them.
        await asyncio.wait_for(last_of_b.wait(), timeout=10)
    finally:
        released.set()
    assert await processing == 1 + len(b_texts)
    assert b_order == b_texts  # in order within the chat, each once
    assert [row.processed_at for row in await stored(sessions)] == [START] * (1 + len(b_texts))


@pytest.mark.parametrize(
    ("update", "chat"),
    [
        ({"update_id": 1, "message": {"chat": {"id": 42}}}, 42),
        ({"update_id": 1, "message": {"chat": True}}, None),
        ({"update_id": 1, "message": {"chat": [1]}}, None),
        (
            {"update_id": 1, "callback_query": {"message": {"chat": {"id": 7}}, "from": {"id": 9}}},
            7,
        ),
        ({"update_id": 1, "callback_query": {"message": {"chat": 1}, "from": {"id": 9}}}, 9),
        ({"update_id": 1, "callback_query": {"message": 3, "from": "someone"}}, None),
    ],
)
def test_the_chat_of_a_forged_update_is_none_never_a_crash(
    update: dict[str, object], chat: int | None
) -> None:
    assert chat_of(update) == chat
