"""What the sandbox's Telegram knows: people, groups, bots, their chats, files and updates.

Each bot has its own view (``BotAccount``): its pending updates, webhook, commands and the
messages of its chats, numbered per chat as Telegram numbers them. People, groups and files
are shared, so several bots (tokens) can use one sandbox.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox import errors
from bot.sandbox.errors import ApiError
from bot.sandbox.world.update_queue import UpdateQueue

JSON = dict[str, Any]
TOKEN = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
DEFAULT_TOKEN = "7000000001:sandbox-token-for-eras"
DEFAULT_BOT_USERNAME = "eras_sandbox_bot"


@dataclass
class Person:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    deactivated: bool = False
    blocked_bots: set[int] = field(default_factory=set)
    # Bots whose private chat this person opened; a bot cannot write first.
    started_bots: set[int] = field(default_factory=set)

    @property
    def chat_id(self) -> int:
        return self.id

    def as_user(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            if getattr(self, name):
                user[name] = getattr(self, name)
        return user

    def as_chat(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        for name in ("last_name", "username"):
            if getattr(self, name):
                chat[name] = getattr(self, name)
        return chat


@dataclass
class Group:
    """A group or supergroup chat (negative id); every bot is a member until removed."""

    id: int
    title: str
    type: str = "group"
    members: set[int] = field(default_factory=set)
    migrated_to: int | None = None
    removed_bots: set[int] = field(default_factory=set)  # bots kicked out of the group
    muted_bots: set[int] = field(default_factory=set)  # bots restricted from sending

    @property
    def chat_id(self) -> int:
        return self.id

    def add_member(self, person: Person) -> None:
        self.members.add(person.id)

    def remove_member(self, person: Person) -> None:
        self.members.discard(person.id)

    def as_chat(self) -> JSON:
        return {"id": self.id, "type": self.type, "title": self.title}


Chat = Person | Group


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str
    file_name: str

    def as_file(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class Conversation:
    """One chat as one bot sees it: messages by id, in the order they were sent."""

    messages: dict[int, JSON] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_message_id: int = 1
    reply_keyboard: JSON | None = None  # the custom keyboard the person sees, if any

    def add(self, message: JSON) -> JSON:
        message["message_id"] = self.next_message_id
        self.next_message_id += 1
        self.messages[message["message_id"]] = message
        return message

    def get(self, message_id: int) -> JSON | None:
        return None if message_id in self.deleted else self.messages.get(message_id)


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackQuery:
    id: str
    message: JSON
    answer: JSON | None = None


class BotAccount:
    """Everything one bot (one bot id) sees and has set."""

    def __init__(self, bot_id: int, token: str, username: str, first_name: str) -> None:
        self.id = bot_id
        self.token = token
        self.username = username
        self.first_name = first_name
        # Update ids keep counting up across a reset, so a running bot's offset stays valid.
        self.updates = UpdateQueue()
        self.forget()

    def forget(self) -> None:
        self.privacy_mode = True  # in groups, only commands and replies to the bot arrive
        self.updates.pending.clear()
        self.updates.allowed = None
        self.webhook: Webhook | None = None
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.conversations: dict[int, Conversation] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}

    def as_user(self) -> JSON:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def conversation(self, chat_id: int) -> Conversation:
        return self.conversations.setdefault(chat_id, Conversation())


class World:
    def __init__(
        self,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``clock`` is the wall time stamped on messages; ``monotonic`` the time flood
        limits, the ledger and long polls count in, and ``sleep`` waits in it."""
        self.bot_username = bot_username
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self.bots: dict[int, BotAccount] = {}
        # Ids are never given twice, not even after a reset: a bot that kept running may
        # still have the old ones in its database.
        self._person_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(5_000_001)
        self._supergroup_ids = itertools.count(1_000_000_001)
        self._file_numbers = itertools.count(1)
        self._callback_numbers = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Forget everyone and everything; bots keep only who they are and their update ids."""
        self.people: dict[int, Person] = {}
        self.groups: dict[int, Group] = {}
        for bot in self.bots.values():
            bot.forget()
        self.files: dict[str, StoredFile] = {}
        self.closing = False  # the server is stopping: waiting long polls answer now

    def now(self) -> int:
        return int(self.clock())

    # People and chats -------------------------------------------------------------------

    def add_person(self, first_name: str, **details: Any) -> Person:
        person = Person(id=next(self._person_ids), first_name=first_name, **details)
        self.people[person.id] = person
        return person

    def add_group(self, title: str, *, supergroup: bool = False) -> Group:
        if supergroup:
            group = Group(id=self._new_supergroup_id(), title=title, type="supergroup")
        else:
            group = Group(id=-next(self._group_ids), title=title)
        self.groups[group.id] = group
        return group

    def migrate(self, group: Group) -> Group:
        """The group becomes a supergroup with a new id; the old id stops working."""
        new = Group(
            id=self._new_supergroup_id(),
            title=group.title,
            type="supergroup",
            members=set(group.members),
        )
        group.migrated_to = new.id
        self.groups[new.id] = new
        return new

    def _new_supergroup_id(self) -> int:
        return int(f"-100{next(self._supergroup_ids)}")

    def chat(self, chat_id: int | str | None) -> Chat:
        """The chat with this id, or 400 chat not found (usernames are not resolved)."""
        chat: Chat | None = None
        if isinstance(chat_id, int):
            chat = self.people.get(chat_id) or self.groups.get(chat_id)
        if chat is None:
            raise errors.bad_request(errors.CHAT_NOT_FOUND)
        return chat

    def writable_chat(self, bot: BotAccount, chat_id: int | str | None) -> Chat:
        """The chat, if this bot may post in it now; else the error Telegram answers."""
        chat = self.chat(chat_id)
        if isinstance(chat, Group):
            if chat.migrated_to is not None:
                raise errors.chat_migrated(chat.migrated_to)
            if bot.id in chat.removed_bots:
                raise errors.forbidden(errors.KICKED)
            if bot.id in chat.muted_bots:
                raise errors.bad_request(errors.MUTED)
            return chat
        if chat.deactivated:
            raise errors.forbidden(errors.DEACTIVATED)
        if bot.id in chat.blocked_bots:
            raise errors.forbidden(errors.BLOCKED)
        if bot.id not in chat.started_bots:
            raise errors.forbidden(errors.CANNOT_INITIATE)
        return chat

    # Bots -------------------------------------------------------------------------------

    def bot_for_token(self, token: str) -> BotAccount:
        """The bot this token belongs to: any well-formed token is a bot (404 otherwise)."""
        match = TOKEN.match(token)
        if match is None:
            raise errors.not_found()
        return self.bot(int(match[1]), token)

    def bot(self, bot_id: int, token: str | None = None) -> BotAccount:
        if bot_id not in self.bots:
            # The first bot gets the configured name; others a name made from their id.
            username = self.bot_username if not self.bots else f"sandbox_{bot_id}_bot"
            self.bots[bot_id] = BotAccount(
                bot_id, token or f"{bot_id}:unknown", username, "ERAS Sandbox"
            )
        return self.bots[bot_id]

    # Files ------------------------------------------------------------------------------

    def store_file(self, data: bytes, *, folder: str, file_name: str, mime_type: str) -> StoredFile:
        number = next(self._file_numbers)
        suffix = file_name.rpartition(".")[2] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"{folder.upper()}-{number:06d}-sandbox",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}.{suffix}",
            data=data,
            mime_type=mime_type,
            file_name=file_name,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)

    def new_callback_query_id(self) -> str:
        return f"{next(self._callback_numbers)}{self.now()}"


def require_message(conversation: Conversation, message_id: int, missing: str) -> JSON:
    message = conversation.get(message_id)
    if message is None:
        raise ApiError(400, f"Bad Request: {missing}")
    return message
