"""The sandbox as tests and the demo use it: play people, inject faults, look.

    async with Sandbox() as sb:
        alice = sb.user("Alice")
        sb.send_text(alice, "/start abc")
        reply = await sb.wait_for_message(alice)

A ``Sandbox`` answers in the caller's own process, through the transport it hands out
(``transport()``, ``request()``); ``SandboxServer`` (``server.py``) is the same sandbox
served over HTTP, for another process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

import httpx
from telegram.request import HTTPXRequest

from bot.sandbox import in_process
from bot.sandbox.api.calls import BotApi
from bot.sandbox.api.faults import Fault, FaultPlan, Rule
from bot.sandbox.api.ledger import Call, Ledger, Predicate
from bot.sandbox.api.limits import SENDING_METHODS, FloodControl, Limits
from bot.sandbox.webhook import WebhookCourier
from bot.sandbox.world import state
from bot.sandbox.world.people import People
from bot.sandbox.world.state import JSON, BotAccount, Group, Person, World

ChatRef = Person | Group | int
BotRef = str | int | None  # a token, a bot id, or None for the sandbox's own bot
# Calls whose result is the message as it now stands in the chat.
_MESSAGE_RESULTS = SENDING_METHODS | {"editMessageText", "editMessageReplyMarkup"}


class Sandbox:
    def __init__(
        self,
        *,
        token: str = state.DEFAULT_TOKEN,
        bot_username: str = state.DEFAULT_BOT_USERNAME,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``clock`` is the wall time stamped on messages (``date``); ``monotonic`` the time
        flood limits, the ledger and long polls count in, and ``sleep`` waits in it (a slow
        answer, a read timeout). Tests may stop or move either (``FakeClock`` gives both
        ``monotonic`` and ``sleep``)."""
        self.token = token
        self.world = World(bot_username=bot_username, clock=clock, monotonic=monotonic, sleep=sleep)
        self.ledger = Ledger()
        self.faults = FaultPlan()
        self.flood = FloodControl(limits, monotonic)
        self.people = People(self.world)
        self.webhooks = WebhookCourier(self.world)
        self.api = BotApi(self.world, self.ledger, self.faults, self.flood, self.webhooks)
        self.url = in_process.IN_PROCESS_URL
        self.bot()  # the sandbox's own bot exists from the start, with the configured name

    # Running ----------------------------------------------------------------------------

    async def start(self) -> Self:
        self.world.closing = False
        return self

    async def stop(self) -> None:
        self.world.closing = True
        for bot in self.world.bots.values():
            bot.updates.notify()
        await self.webhooks.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport to this sandbox in this process: no socket, the same answers."""
        return in_process.transport(self.api)

    def request(self, **options: Any) -> HTTPXRequest:
        """python-telegram-bot's request class on ``transport()`` (``options`` as
        ``HTTPXRequest`` takes them, e.g. ``read_timeout``), for ``Bot(request=...)``."""
        httpx_kwargs = {"transport": self.transport(), **options.pop("httpx_kwargs", {})}
        return HTTPXRequest(httpx_kwargs=httpx_kwargs, **options)

    def reset(self) -> None:
        """Back to an empty Telegram: no people, chats, faults, limits or recorded calls."""
        for bot in self.world.bots.values():
            self.webhooks.stop(bot)
        self.world.reset()
        self.ledger.clear()
        self.faults.clear()
        self.flood.reset()
        self.flood.enabled = False

    # Who is who -------------------------------------------------------------------------

    def bot(self, which: BotRef = None) -> BotAccount:
        """A bot by token or id (default: the sandbox's own, ``self.token``)."""
        if which is None:
            which = self.token
        if isinstance(which, int):
            return self.world.bot(which)
        return self.world.bot_for_token(which)

    @property
    def bot_username(self) -> str:
        return self.bot().username

    @property
    def bot_id(self) -> int:
        return self.bot().id

    def user(
        self, first_name: str, *, started: bool = False, bot: BotRef = None, **details: Any
    ) -> Person:
        """A Telegram user (``last_name``, ``username``, ``language_code`` optional).

        ``started``: the person opened the bot's chat earlier (as every linked patient did),
        so the bot may write to them; unlike ``send_text`` this queues no update.
        """
        person = self.world.add_person(first_name, **details)
        if started:
            person.started_bots.add(self.bot(bot).id)
        return person

    def group(
        self, title: str, *, members: tuple[Person, ...] = (), supergroup: bool = False
    ) -> Group:
        """A group chat with the bot in it (a supergroup if asked)."""
        group = self.world.add_group(title, supergroup=supergroup)
        for person in members:
            group.add_member(person)
        return group

    # What people do ---------------------------------------------------------------------

    def send_text(
        self,
        sender: Person,
        text: str,
        *,
        chat: Person | Group | None = None,
        reply_to: JSON | int | None = None,
        entities: list[JSON] | None = None,
        bot: BotRef = None,
    ) -> JSON | None:
        """``sender`` writes in ``chat`` (default: their private chat with the bot).

        Returns the update queued for the bot, or None when Telegram would not deliver it
        (a group message that is neither a command for the bot nor a reply to it).
        """
        return self.people.write(
            self.bot(bot), sender, text, chat=chat, reply_to=reply_to, entities=entities
        )

    def open_deep_link(self, person: Person, payload: str, *, bot: BotRef = None) -> JSON:
        """``person`` opens ``t.me/<bot>?start=<payload>`` and presses Start."""
        update = self.send_text(person, f"/start {payload}", bot=bot)
        assert update is not None  # private chats always deliver
        return update

    def press_button(
        self,
        sender: Person,
        message: JSON | int,
        data: str | None = None,
        *,
        text: str | None = None,
        chat: Person | Group | None = None,
        bot: BotRef = None,
    ) -> JSON:
        """``sender`` taps the inline button with this callback ``data`` (or this ``text``)."""
        return self.people.press_button(self.bot(bot), sender, message, data, text=text, chat=chat)

    def send_photo(
        self,
        sender: Person,
        data: bytes,
        *,
        caption: str | None = None,
        chat: Person | Group | None = None,
        bot: BotRef = None,
    ) -> JSON | None:
        return self.people.send_photo(self.bot(bot), sender, data, caption=caption, chat=chat)

    def send_voice(
        self,
        sender: Person,
        data: bytes,
        *,
        chat: Person | Group | None = None,
        bot: BotRef = None,
    ) -> JSON | None:
        return self.people.send_voice(self.bot(bot), sender, data, chat=chat)

    def edit_text(self, sender: Person, message: JSON, text: str, *, bot: BotRef = None) -> JSON:
        return self.people.edit_text(self.bot(bot), sender, message, text)

    def send_raw_update(self, update: JSON, *, bot: BotRef = None) -> JSON:
        """Queue any update at all (an ``update_id`` is added when it has none)."""
        return self.people.raw(self.bot(bot), update)

    def block_bot(self, person: Person, *, bot: BotRef = None) -> JSON:
        return self.people.block(self.bot(bot), person)

    def unblock_bot(self, person: Person, *, bot: BotRef = None) -> JSON:
        return self.people.unblock(self.bot(bot), person)

    def delete_account(self, person: Person) -> None:
        self.people.delete_account(person)

    def migrate_to_supergroup(self, group: Group, *, bot: BotRef = None) -> Group:
        """The group is upgraded: the bot gets the two service messages Telegram sends, and
        the old id answers 400 with ``migrate_to_chat_id`` from then on."""
        return self.people.upgrade_group(self.bot(bot), group)

    # Faults and limits ------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None = None,
        *,
        error: Fault,
        chat_id: int | str | None = None,
        times: int | None = 1,
        token: str | None = None,
    ) -> Rule:
        """The next ``times`` matching calls (None: all) get ``error`` instead of an answer."""
        return self.faults.add(Rule(error, method, chat_id, token, times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def enforce_limits(self, on: bool = True, limits: Limits | None = None) -> None:
        """Answer 429 with ``retry_after`` when a bot goes over Telegram's flood limits."""
        if limits is not None:
            self.flood.limits = limits
        self.flood.reset()
        self.flood.enabled = on

    # Looking ----------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Predicate,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline reads better in tests
        after: int = 0,
    ) -> Call:
        """The first recorded call (with ``seq`` > ``after``) matching ``predicate``."""
        return await self.ledger.wait_for(predicate, timeout, after)

    async def wait_for_message(
        self,
        chat: ChatRef,
        where: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline reads better in tests
        after: int = 0,
    ) -> JSON:
        """The first message the bot sent or edited in ``chat`` (matching ``where``)."""
        chat_id = chat_id_of(chat)

        def sent(call: Call) -> bool:
            return (
                call.ok
                and call.method in _MESSAGE_RESULTS
                and call.chat_id == chat_id
                and (where is None or where(self._message_of(call)))
            )

        return self._message_of(await self.ledger.wait_for(sent, timeout, after))

    async def wait_until_fetched(
        self,
        update: JSON,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline reads better in tests
    ) -> Call:
        """The getUpdates call that handed ``update`` to a bot."""
        update_id = update["update_id"]

        def fetched(call: Call) -> bool:
            return (
                call.ok
                and call.method == "getUpdates"
                and any(u.get("update_id") == update_id for u in call.result)
            )

        return await self.ledger.wait_for(fetched, timeout)

    async def wait_for_poller(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline reads better in tests
        *,
        bot: BotRef = None,
    ) -> None:
        """Return once a getUpdates of the bot is waiting at the server for updates."""
        async with asyncio.timeout(timeout):
            await self.bot(bot).updates.poll_waiting.wait()

    def _message_of(self, call: Call) -> JSON:
        if call.method == "copyMessage":
            assert isinstance(call.chat_id, int)
            copied = self.bot(call.token).conversation(call.chat_id).messages
            return dict(copied[call.result["message_id"]])
        return dict(call.result)

    def file_data(self, file_id: str) -> bytes:
        """The bytes of a file anyone sent (uploaded, or by a person); KeyError if unknown."""
        return self.world.files[file_id].data

    def photo_data(self, message: JSON) -> bytes:
        """The bytes of the largest size of the photo in ``message``."""
        return self.file_data(message["photo"][-1]["file_id"])

    def messages_to(self, chat: ChatRef, *, bot: BotRef = None) -> list[JSON]:
        """The bot's messages in ``chat`` as they stand now (edited, not deleted), oldest first."""
        account = self.bot(bot)
        return [
            m for m in self.chat_history(chat, bot=bot) if m.get("from", {}).get("id") == account.id
        ]

    def chat_history(self, chat: ChatRef, *, bot: BotRef = None) -> list[JSON]:
        """Every message in ``chat`` the bot can see, from anyone, oldest first."""
        conversation = self.bot(bot).conversation(chat_id_of(chat))
        return [
            dict(message)
            for message_id, message in conversation.messages.items()
            if message_id not in conversation.deleted
        ]

    def reply_keyboard(self, chat: ChatRef, *, bot: BotRef = None) -> JSON | None:
        """The custom keyboard the bot last gave ``chat`` (None after ReplyKeyboardRemove)."""
        return self.bot(bot).conversation(chat_id_of(chat)).reply_keyboard

    def callback_answer(self, update: JSON, *, bot: BotRef = None) -> JSON | None:
        """How the bot answered the button tap in ``update`` (None: not answered yet)."""
        query = self.bot(bot).callback_queries[update["callback_query"]["id"]]
        return query.answer

    def pending_updates(self, *, bot: BotRef = None) -> list[JSON]:
        """Updates the bot has not confirmed yet."""
        return [dict(update) for update in self.bot(bot).updates.pending]


def chat_id_of(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.id
