"""What no handler took: refused and audited, so that every attempt leaves a trace.

It runs in a later handler group than the others and acts only when no handler marked the
update as processed: a message in a group that is no team chat, a button nobody wrote, a
command in the wrong kind of chat, an update kind the bot does not use.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.access.refusals import refuse
from bot.context import Services
from bot.inbox.processed import committed_here
from bot.telegram.handlers.unit_of_work import answer_button, unit_of_work

LAST = 1  # the handler group after every other
NOT_VALID = "This button is not valid."


async def unhandled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if committed_here(update.update_id):
        return  # a handler took it, and its transaction committed: nothing to read back
    svc: Services = context.application.bot_data["services"]
    async with unit_of_work(svc, update) as session:
        if session is None:
            return  # a handler took it
        user, chat = update.effective_user, update.effective_chat
        await refuse(
            session,
            telegram_user_id=user.id if user else None,
            action="update.unhandled",
            now=svc.clock.now(),
            detail={"chat": chat.type if chat else None, "kind": _kind(update)},
        )
    if update.callback_query is not None:
        await answer_button(update.callback_query, NOT_VALID)


def _kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def add_fallback_handler(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, unhandled), group=LAST)
