"""The inbox: every update from Telegram is stored before it is confirmed, then processed.

python-telegram-bot's own Updater confirms an update (the next getUpdates offset) before
handlers run, so a crash could lose it. Here the poller stores the raw update first; only
the next getUpdates, after the commit, confirms it. A redelivered update finds its row and
is not stored again; a stored update is processed until it is marked done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application

from bot.clock import Clock
from db.models import InboxUpdate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
# A handler that fails on an update this many times is not going to succeed: the update
# is set aside, with the failure noted, so that it does not come round for ever.
MAX_ATTEMPTS = 5


class PollingStopped(RuntimeError):
    """Telegram will not give this process updates (bad token, or another poller)."""


async def store_updates(
    sessions: async_sessionmaker[AsyncSession], updates: Sequence[dict[str, Any]], clock: Clock
) -> int:
    """Store raw updates, ignoring ones already stored; returns how many were new."""
    rows = [
        {"update_id": int(u["update_id"]), "received_at": clock.now(), "payload": u, "attempts": 0}
        for u in updates
        if isinstance(u.get("update_id"), int)
    ]
    if not rows:
        return 0
    async with sessions.begin() as session:
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
    ) -> None:
        self._sessions = sessions
        self._url = f"{bot_url}/getUpdates"
        self._clock = clock
        self._poll_timeout = poll_timeout
        self._offset: int | None = None
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(poll_timeout + 15, connect=10))

    async def close(self) -> None:
        await self._http.aclose()

    async def _resume_offset(self) -> None:
        async with self._sessions() as session:
            newest = await session.scalar(select(func.max(InboxUpdate.update_id)))
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
        ids = [u["update_id"] for u in updates if isinstance(u.get("update_id"), int)]
        if ids:
            # Confirmed to Telegram by the next call, now that they are safely stored.
            self._offset = max(ids) + 1
        return stored


class InboxProcessor:
    """Hands stored updates to the Application, oldest first, each until it is done.

    Runs of ``process_pending`` take turns: one that started while another was still going
    would read the same unprocessed rows and hand them over a second time. This guards one
    process: the inbox is processed where it is polled, and Telegram lets one process poll.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        application: Application[Any, Any, Any, Any, Any, Any],
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._application = application
        self._clock = clock
        self._turn = asyncio.Lock()
        self._failed: dict[int, str] = {}  # update id -> what its handler raised
        application.add_error_handler(self._note_failure)

    async def _note_failure(self, update: object, context: Any) -> None:
        """A handler raised: its transaction rolled back, so the update had no effect."""
        if isinstance(update, Update):
            self._failed[update.update_id] = type(context.error).__name__

    async def process_pending(self, limit: int = 100) -> int:
        """Handle every stored update not yet done (in batches of ``limit``)."""
        async with self._turn:
            done = 0
            while batch := await self._process_pending(limit):
                done += batch
                if batch < limit:
                    break
            return done

    async def _process_pending(self, limit: int) -> int:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.attempts)
                    .where(InboxUpdate.processed_at.is_(None))
                    .order_by(InboxUpdate.update_id)
                    .limit(limit)
                )
            ).all()
        for update_id, payload, attempts in rows:
            error = await self._process(payload)
            failed = self._failed.pop(update_id, None)
            values: dict[str, Any] = {"attempts": InboxUpdate.attempts + 1, "error": error}
            if failed is not None:
                # Nothing of it was kept: it is tried again at the next round, not dropped.
                values["error"] = f"handler failed ({attempts + 1}x): {failed}"
            if failed is None or attempts + 1 >= MAX_ATTEMPTS:
                values["processed_at"] = self._clock.now()
            async with self._sessions.begin() as session:
                await session.execute(
                    update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(**values)
                )
        return len(rows)

    async def _process(self, payload: dict[str, Any]) -> str | None:
        try:
            parsed = Update.de_json(payload, self._application.bot)
        except Exception as error:  # malformed: keep the row, say why, never its content
            return f"malformed update: {type(error).__name__}"
        await self._application.process_update(parsed)
        return None
