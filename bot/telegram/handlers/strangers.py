"""Before every other handler: an account that is neither staff nor a patient and has
written too much this hour is not handled at all (bot/access/strangers.py)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.access import strangers
from bot.context import Services

FIRST = -1  # the handler group before every other


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None or _opens_a_link(update):
        return  # links have their own limits (bot/access/link_guard.py)
    svc: Services = context.application.bot_data["services"]
    async with svc.sessions.begin() as session:
        admitted = await strangers.admit(
            session, user.id, update.update_id, svc.clock.now(), svc.audit_key
        )
    if not admitted:
        raise ApplicationHandlerStop


def _opens_a_link(update: Update) -> bool:
    text = update.message.text if update.message else None
    return bool(text and text.startswith("/start ") and len(text.split()) == 2)


def add_stranger_gate(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, gate), group=FIRST)
