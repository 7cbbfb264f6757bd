"""The inbox: every update from Telegram is stored before it is confirmed, then processed.

python-telegram-bot's own Updater confirms an update (the next getUpdates offset) before
handlers run, so a crash could lose it. Here the poller stores the raw update first; only
the next getUpdates, after the commit, confirms it. A redelivered update finds its row and
is not stored again; a stored update is processed until it is marked done.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from sqlalchemy import Integer, Select, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application

from bot.clock import Clock
from bot.inbox.malformed import malformed
from bot.inbox.processed import noting_marks
from db.models import InboxUpdate
from db.write_turns import INBOX, write_turn

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
# PostgreSQL's jsonb refuses the NUL character and unpaired surrogates, both of which JSON
# can carry as escapes; one such update would fail the whole batch, again at every poll.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """``value`` with those characters replaced by U+FFFD, on every backend alike."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to, if it says (checked as loosely as storing needs: a
    malformed update is set aside later, by itself)."""
    for kind in ("message", "edited_message", "my_chat_member"):
        body = update.get(kind)
        if isinstance(body, dict):
            return _whole(_object(body, "chat").get("id"))
    query = update.get("callback_query")
    if isinstance(query, dict):
        chat = _object(_object(query, "message"), "chat")
        if chat:
            return _whole(chat.get("id"))
        return _whole(_object(query, "from").get("id"))
    return None


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    """``body[key]`` if it is a JSON object, else an empty one (a forged update may put
    anything there)."""
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _whole(value: Any) -> int | None:
    return value if type(value) is int and -(2**63) <= value < 2**63 else None


def update_id_of(update: dict[str, Any]) -> int | None:
    """The update's id, if it is one Telegram could have sent: a whole number (not a JSON
    true or false, which Python counts as 1 and 0) that fits the inbox's BIGINT key. An
    update without one can be neither stored nor confirmed."""
    value = update.get("update_id")
    return value if type(value) is int and 0 <= value < 2**63 else None


# Given a chat's batch (update id, payload), marks done those not to be handled: their ids.
Screen = Callable[[list[tuple[int, dict[str, Any]]]], Awaitable[set[int]]]


class PollingStopped(RuntimeError):
    """Telegram will not give this process updates (bad token, or another poller)."""


async def store_updates(
    sessions: async_sessionmaker[AsyncSession], updates: Sequence[dict[str, Any]], clock: Clock
) -> int:
    """Store raw updates, ignoring ones already stored; returns how many were new."""
    rows = [
        {
            "update_id": update_id,
            "received_at": clock.now(),
            "payload": storable(u),
            "attempts": 0,
            "chat_id": chat_of(u) if isinstance(u, dict) else None,
        }
        for u in updates
        if (update_id := update_id_of(u)) is not None
    ]
    if not rows:
        return 0
    async with write_turn(sessions, INBOX), sessions.begin() as session:
        dialect = session.bind.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(InboxUpdate).values(rows).on_conflict_do_nothing()
        result = await session.execute(statement)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class Poller:
    """Long polling that stores before it confirms."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot_url: str,
        clock: Clock,
        poll_timeout: int = 30,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport``: how requests reach Telegram (default: the network)."""
        self._sessions = sessions
        self._url = f"{bot_url}/getUpdates"
        self._clock = clock
        self._poll_timeout = poll_timeout
        self._offset: int | None = None
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(poll_timeout + 15, connect=10), transport=transport
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def _resume_offset(self) -> None:
        # The update received last, not the highest id: after a week without updates
        # Telegram numbers the next ones from a random point, possibly below the old ones.
        async with self._sessions() as session:
            newest = await session.scalar(
                select(InboxUpdate.update_id)
                .order_by(InboxUpdate.received_at.desc(), InboxUpdate.update_id.desc())
                .limit(1)
            )
        self._offset = None if newest is None else newest + 1

    async def poll_once(self, wait_seconds: int | None = None) -> int:
        """One getUpdates round; returns how many new updates were stored.

        Raises ``PollingStopped`` when Telegram refuses this poller; other failures are
        logged and answered with a pause, as Telegram asks.
        """
        if self._offset is None:
            await self._resume_offset()
        params: dict[str, Any] = {
            "timeout": self._poll_timeout if wait_seconds is None else wait_seconds,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        if self._offset is not None:
            params["offset"] = self._offset
        try:
            response = await self._http.post(self._url, json=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("getUpdates failed: %s", type(error).__name__)
            await asyncio.sleep(1)
            return 0
        if response.status_code in (401, 404):
            raise PollingStopped("Telegram refused the bot token (401/404)")
        if response.status_code == 409:
            raise PollingStopped("another process is polling this bot, or a webhook is set (409)")
        if not body.get("ok"):
            retry_after = (body.get("parameters") or {}).get("retry_after")
            log.warning("getUpdates answered %s", response.status_code)
            await asyncio.sleep(float(retry_after) if retry_after else 1.0)
            return 0
        updates = [u for u in body.get("result", []) if isinstance(u, dict)]
        stored = await store_updates(self._sessions, updates, self._clock)
        ids = [i for i in map(update_id_of, updates) if i is not None]
        if ids:
            # Confirmed to Telegram by the next call, now that they are safely stored.
            self._offset = max(ids) + 1
        return stored


# A handler that fails on the same update this many times is not going to succeed: the
# update is set aside (kept, with why) so that it does not come back for ever.
MAX_ATTEMPTS = 5
# Chats handled side by side (each holds a database connection while it works).
CHATS_AT_ONCE = 8
# Updates of one chat taken in one batch: a chat with thousands waiting takes its turn
# with the others, batch after batch, instead of before them.
PER_CHAT = 4


class InboxProcessor:
    """Hands stored updates to the Application, each until it is done: in order within a
    chat, chats side by side (at most ``CHATS_AT_ONCE``), a few of each chat's at a time,
    each chat going on as soon as its own are done.

    An update whose handler failed (its transaction rolled back, so it had no effect) stays
    pending and is tried again on the next run, up to ``MAX_ATTEMPTS``. The Application
    reports such failures through ``handler_failed``, which the runtime wires to its error
    handler.

    Runs of ``process_pending`` take turns: one that started while another was still going
    would read the same unprocessed rows and hand them over a second time. Across processes
    the handlers' own ``take_update`` mark (bot.inbox.processed) keeps the effect to one.

    ``screen`` sees each chat's batch first and may mark updates done that are not worth
    handling (a stranger's flood): their ids, which are then passed over.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        application: Application[Any, Any, Any, Any, Any, Any],
        clock: Clock,
        screen: Screen | None = None,
    ) -> None:
        self._sessions = sessions
        self._application = application
        self._clock = clock
        self._screen = screen
        self._turn = asyncio.Lock()
        self._failed: set[int] = set()
        self._retry_later: set[int] = set()

    def handler_failed(self, update_id: int) -> None:
        self._failed.add(update_id)

    async def process_pending(self, limit: int = 100) -> int:
        """Handle every stored update not yet done (in batches of ``limit``); one whose
        handler failed is tried again at the next call, not in this one."""
        async with self._turn:
            done = 0
            retried: set[int] = set()
            while batch := await self._process_pending(limit, retried):
                done += batch
            return done

    async def process_batch(self, limit: int = 100) -> bool:
        """Handle what is pending; True if anything was. Each chat takes its oldest few at a
        time, so an update that just came in is not held behind a long queue of someone
        else's. An update whose handler failed waits until a run finds nothing else to
        do."""
        async with self._turn:
            if await self._process_pending(limit, self._retry_later):
                return True
            self._retry_later.clear()
            return False

    async def _process_pending(self, limit: int, retried: set[int]) -> int:
        """Handle what is pending until nothing is: each chat takes its next few updates as
        soon as its own are done, and a chat waiting starts as soon as a place frees (at
        most ``CHATS_AT_ONCE``), never held until a slower chat finishes. A chat at work is
        not read again: its updates are handled once and in order."""
        at_work: dict[asyncio.Task[None], int] = {}
        taken = 0
        try:
            while True:
                if len(at_work) < CHATS_AT_ONCE:
                    busy = set(at_work.values())
                    chats = await self._pending_chats(limit, retried, busy)
                    for chat_key, updates in list(chats.items())[: CHATS_AT_ONCE - len(at_work)]:
                        at_work[asyncio.create_task(self._one_chat(updates, retried))] = chat_key
                        taken += len(updates)
                if not at_work:
                    return taken
                finished, _ = await asyncio.wait(at_work, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    del at_work[task]
                    task.result()
        finally:  # stopped, or a chat failed: the others are stopped too (what they had
            # not finished stays pending, rolled back)
            for task in at_work:
                task.cancel()
            await asyncio.gather(*at_work, return_exceptions=True)

    async def _one_chat(
        self, updates: list[tuple[int, dict[str, Any], int]], retried: set[int]
    ) -> None:
        done = set()
        if self._screen is not None:
            done = await self._screen([(u, payload) for u, payload, _ in updates])
        for update_id, payload, attempts in updates:
            if update_id in done:
                continue
            if await self._process_one(update_id, payload, attempts):
                retried.add(update_id)

    async def _pending_chats(
        self, limit: int, retried: set[int], busy: set[int]
    ) -> dict[int, list[tuple[int, dict[str, Any], int]]]:
        """The oldest few pending updates of each chat not at work, the oldest chats first."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    _PENDING, {"retried": list(retried), "busy": list(busy), "limit": limit}
                )
            ).all()
        chats: dict[int, list[tuple[int, dict[str, Any], int]]] = {}
        for update_id, payload, attempts, chat_key in rows:
            chats.setdefault(chat_key, []).append((update_id, payload, attempts))
        return chats

    async def _process_one(self, update_id: int, payload: dict[str, Any], attempts: int) -> bool:
        """Handle one update and record how it went; True if it is to be tried again."""
        with noting_marks() as marks:
            error = await self._process(update_id, payload)
        retry = error == HANDLER_FAILED and attempts + 1 < MAX_ATTEMPTS
        if error == HANDLER_FAILED and not retry:
            log.error("update %s set aside after %s failed attempts", update_id, MAX_ATTEMPTS)
        if error is None and (update_id in marks or await self._taken(update_id)):
            return False  # its handler marked it done with its effect: nothing to add
        values: dict[str, Any] = {"attempts": InboxUpdate.attempts + 1, "error": error}
        if not retry:  # a retried update stays as its handler left it: a handler that
            # committed before failing has marked it done, and done it stays
            values["processed_at"] = func.coalesce(InboxUpdate.processed_at, self._clock.now())
        async with write_turn(self._sessions, INBOX), self._sessions.begin() as session:
            await session.execute(
                update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(values)
            )
        return retry

    async def _taken(self, update_id: int) -> bool:
        # A read, not a write: under a flood, most updates end here, and a write would wait
        # its turn for SQLite's one writer.
        async with self._sessions() as session:
            done = await session.scalar(
                select(InboxUpdate.processed_at).where(InboxUpdate.update_id == update_id)
            )
        return done is not None

    async def _process(self, update_id: int, payload: dict[str, Any]) -> str | None:
        try:
            parsed = Update.de_json(payload, self._application.bot)
        except Exception as error:  # malformed: keep the row, say why, never its content
            return f"malformed update: {type(error).__name__}"
        if problem := malformed(parsed):
            return f"malformed update: {problem}"
        self._failed.discard(update_id)
        try:
            await self._application.process_update(parsed)
        except Exception as error:
            # Handlers' errors go to the error handlers; this is python-telegram-bot itself
            # failing on the update. Tried again, then set aside: it must not block the rest.
            log.error("update %s failed outside the handlers: %s", update_id, type(error).__name__)
            return HANDLER_FAILED
        if update_id in self._failed:
            self._failed.discard(update_id)
            return HANDLER_FAILED
        return None


HANDLER_FAILED = "a handler failed"


def _pending() -> Select[tuple[int, dict[str, Any], int, int]]:
    """The oldest PER_CHAT pending updates of each chat but the ``busy`` ones, leaving out
    ``retried``, oldest first, at most ``limit``: built once, as it is asked after every
    chat's batch."""
    # An update without a chat is a chat of its own (should its id be some chat's too,
    # the two only take turns).
    chat = func.coalesce(InboxUpdate.chat_id, InboxUpdate.update_id)
    place = func.row_number().over(partition_by=chat, order_by=InboxUpdate.update_id)
    pending = (
        select(InboxUpdate.update_id, chat.label("chat"), place.label("place"))
        .where(
            InboxUpdate.processed_at.is_(None),
            InboxUpdate.update_id.not_in(bindparam("retried", expanding=True)),
            chat.not_in(bindparam("busy", expanding=True)),
        )
        .subquery()
    )
    return (
        select(InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.attempts, pending.c.chat)
        .join(pending, pending.c.update_id == InboxUpdate.update_id)
        .where(pending.c.place <= PER_CHAT)
        .order_by(InboxUpdate.update_id)
        .limit(bindparam("limit", type_=Integer))
    )


_PENDING = _pending()
