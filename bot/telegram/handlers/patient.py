"""What people do in their private chat with the bot, handed to the patients' use cases.

Each handler reads the update, opens its unit of work (the update's effect commits with the
mark that it was processed) and calls one use case, which decides and writes the replies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.access.visitors import Sender, Visit
from bot.context import Services
from bot.patients.chat import arrival, messages, presses
from bot.telegram.callbacks import PATIENT_PRESSES, decode
from bot.telegram.handlers.unit_of_work import answer_button, unit_of_work

Context = ContextTypes.DEFAULT_TYPE


def is_patient_press(data: object) -> bool:
    """Data of a button in a patient's chat (anything else is for other handlers, or refused)."""
    return isinstance(data, str) and isinstance(decode(data), PATIENT_PRESSES)


def sender(update: Update) -> Sender:
    user, where = update.effective_user, update.effective_chat
    return Sender(
        telegram_user_id=user.id if user else None,
        chat_id=where.id if where else None,
        language_code=user.language_code if user else None,
    )


@asynccontextmanager
async def _visit(update: Update, context: Context) -> AsyncIterator[Visit | None]:
    """The update's unit of work, with whoever is behind it (None: already handled)."""
    svc: Services = context.application.bot_data["services"]
    async with unit_of_work(svc, update) as session:
        yield None if session is None else await Visit.open(svc, session, sender(update))


async def start(update: Update, context: Context) -> None:
    """/start with the personal link, /start again before consenting, or /start to resume."""
    if update.effective_user is None or update.effective_chat is None:
        return
    token = context.args[0] if context.args else ""
    async with _visit(update, context) as visit:
        if visit is not None:
            await arrival.start(visit, token)


async def button(update: Update, context: Context) -> None:
    """Every inline button of the patient's chat: answers, consent, settings, pause."""
    query = update.callback_query
    press = decode(query.data or "") if query is not None else None
    if query is None or not isinstance(press, PATIENT_PRESSES):
        return  # no data (which the pattern lets through): refused by the fallback
    where = query.message.chat.id if query.message is not None else None
    async with _visit(update, context) as visit:
        if visit is not None:
            await presses.pressed(visit, where, press)
    await answer_button(query)


async def text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    async with _visit(update, context) as visit:
        if visit is not None:
            await messages.typed(visit, message.text, update.update_id)


async def photo(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.photo:
        return
    async with _visit(update, context) as visit:
        if visit is not None:
            file_id = message.photo[-1].file_id
            await messages.photo(visit, file_id, message.caption, update.update_id)


async def voice(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.voice is None:
        return
    async with _visit(update, context) as visit:
        if visit is not None:
            await messages.voice(visit, message.voice.file_id, update.update_id)


async def edited(update: Update, context: Context) -> None:
    async with _visit(update, context) as visit:
        if visit is not None:
            await messages.edited(visit)


async def command(update: Update, context: Context) -> None:
    """/help, /checkin, /status, /stop, /language, /timezone, /caregiver."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    async with _visit(update, context) as visit:
        if visit is not None:
            await messages.command(visit, name)


async def unknown(update: Update, context: Context) -> None:
    """A command no other handler took (added after them all)."""
    async with _visit(update, context) as visit:
        if visit is not None:
            await messages.unknown_command(visit)


def add_unknown_command_handler(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """After every handler of a command, patients' and staff's alike."""
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown))


def add_patient_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(
        CommandHandler(
            ["help", "checkin", "status", "stop", "language", "timezone", "caregiver"],
            command,
            filters=private,
        )
    )
    application.add_handler(CallbackQueryHandler(button, pattern=is_patient_press))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, edited))
    application.add_handler(MessageHandler(filters.TEXT & private & ~filters.COMMAND, text))
    application.add_handler(MessageHandler(filters.PHOTO & private, photo))
    application.add_handler(MessageHandler(filters.VOICE & private, voice))
