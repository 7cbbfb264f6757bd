"""What staff do with alert cards in their team's chat."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.render.team import ACKNOWLEDGE
from bot.services.acknowledgement import acknowledge
from bot.services.context import Services, answer_button, unit_of_work


async def acknowledge_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    svc: Services = context.application.bot_data["services"]
    _, _, raw_id = query.data.partition(":")
    answer_text = "This button is not valid."
    async with unit_of_work(svc, update) as session:
        if session is not None and raw_id.isdigit() and len(raw_id) < 12:
            answer = await acknowledge(session, int(raw_id), user.id, svc.clock.now())
            answer_text = answer.text
    await answer_button(query, answer_text, alert=True)


def add_care_team_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CallbackQueryHandler(acknowledge_pressed, pattern=rf"^{ACKNOWLEDGE}:"))
