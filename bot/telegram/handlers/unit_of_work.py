"""The unit of work that gives each Telegram update one effect, and the button's spinner."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from bot.context import Services
from bot.inbox.processed import mark_committed, take_update
from db.write_turns import REPLY, write_turn

log = logging.getLogger(__name__)


@asynccontextmanager
async def unit_of_work(services: Services, update: Update) -> AsyncIterator[AsyncSession | None]:
    """A transaction for one update: yields None when the update had its effect already."""
    async with write_turn(services.sessions, REPLY), services.sessions.begin() as session:
        if not await take_update(session, update.update_id, services.clock.now()):
            yield None
            return
        yield session
    mark_committed(update.update_id)
    services.wake_sender()


async def answer_button(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Stop the button's spinner. A query too old to answer (or forged) needs nothing more:
    its effect, if any, is already committed."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as error:
        log.info("callback query not answered: %s", type(error).__name__)
