"""What staff write on a patient's record from their team's group: a card's **Reply to
patient** and **Add note** buttons, and the replies to the bot's prompts they bring."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.alerts.actions import Notice
from bot.context import Services
from bot.correspondence.prompts import ask_for_words, take_words
from bot.telegram.callbacks import RECORD_PRESSES, decode
from bot.telegram.handlers.unit_of_work import answer_button, unit_of_work

NOT_VALID = "This button is not valid."


def is_record_press(data: object) -> bool:
    return isinstance(data, str) and isinstance(decode(data), RECORD_PRESSES)


async def record_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    press = decode(query.data or "") if query is not None else None
    if query is None or user is None or not isinstance(press, RECORD_PRESSES):
        return
    svc: Services = context.application.bot_data["services"]
    notice: Notice | None = None
    async with unit_of_work(svc, update) as session:
        if session is not None:
            notice = await ask_for_words(session, press, user.id, svc.clock.now())
    await answer_button(query, notice.text if notice else NOT_VALID, alert=True)


async def reply_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to one of the bot's messages in a group (what else is written there, the bot
    in privacy mode does not even see)."""
    message, user = update.effective_message, update.effective_user
    replied = message.reply_to_message if message is not None else None
    if message is None or user is None or replied is None or replied.from_user is None:
        return
    if replied.from_user.id != context.bot.id:
        return  # someone else's message: left to the fallback
    svc: Services = context.application.bot_data["services"]
    words = message.text or ""
    async with unit_of_work(svc, update) as session:
        if session is not None:
            now = svc.clock.now()
            chat_id, prompt_id = message.chat.id, replied.message_id
            await take_words(session, chat_id, prompt_id, message.message_id, user.id, words, now)


def add_correspondence_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CallbackQueryHandler(record_button, pattern=is_record_press))
    # A new message only: an edited reply must not write to the patient a second time.
    replies = filters.UpdateType.MESSAGE & filters.ChatType.GROUPS & filters.REPLY
    application.add_handler(MessageHandler(replies & ~filters.COMMAND, reply_in_group))
