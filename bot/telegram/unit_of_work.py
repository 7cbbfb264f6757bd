"""The unit of work that gives each Telegram update one effect, and the button's spinner."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from bot.context import Services
from db.models import InboxUpdate

log = logging.getLogger(__name__)


async def take_update(session: AsyncSession, update: Update, now: datetime) -> bool:
    """Mark the update processed inside the handler's transaction; False if it already was.

    Whatever a handler changes commits together with this mark, so a redelivered update
    (or one processed again after a crash) finds it and changes nothing.
    """
    marked = await session.execute(
        sql_update(InboxUpdate)
        .where(InboxUpdate.update_id == update.update_id, InboxUpdate.processed_at.is_(None))
        .values(processed_at=now, attempts=InboxUpdate.attempts + 1)
    )
    if marked.rowcount == 1:  # type: ignore[attr-defined]
        return True
    exists = await session.scalar(
        select(InboxUpdate.update_id).where(InboxUpdate.update_id == update.update_id)
    )
    if exists is not None:
        return False
    # Not through the inbox (e.g. a webhook delivered it straight): record it now.
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(InboxUpdate)
        .values(
            update_id=update.update_id,
            received_at=now,
            processed_at=now,
            payload={},
            attempts=1,
        )
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@asynccontextmanager
async def unit_of_work(services: Services, update: Update) -> AsyncIterator[AsyncSession | None]:
    """A transaction for one update: yields None when the update had its effect already."""
    async with services.sessions.begin() as session:
        if not await take_update(session, update, services.clock.now()):
            yield None
            return
        yield session
    services.wake_sender()


async def answer_button(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Stop the button's spinner. A query too old to answer (or forged) needs nothing more:
    its effect, if any, is already committed."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as error:
        log.info("callback query not answered: %s", type(error).__name__)
