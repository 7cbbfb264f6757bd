"""What staff do with alert cards in their team's chat: acknowledge, resolve."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.delivery.outbox import enqueue
from bot.render.patient import message
from bot.render.team import ACKNOWLEDGE, GRADE, OUTCOME, RESOLVE
from bot.services.alert_actions import Answer, acknowledge, choose_outcome, resolve
from bot.services.context import Services, answer_button, unit_of_work
from bot.services.staff_views import open_alerts_text, staff_member
from db.audit import append

NOT_VALID = "This button is not valid."
# What an alert id on our own buttons looks like. str.isdigit() is not enough: it also
# takes "²" (which int() refuses) and other scripts' digits; and ten digits or more may not
# fit the id column on PostgreSQL.
ALERT_ID = re.compile(r"[0-9]{1,9}")


async def alert_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    svc: Services = context.application.bot_data["services"]
    kind, *rest = query.data.split(":")
    text = NOT_VALID
    async with unit_of_work(svc, update) as session:
        if session is not None and rest and ALERT_ID.fullmatch(rest[0]):
            alert_id, now = int(rest[0]), svc.clock.now()
            answer: Answer | None = None
            if kind == ACKNOWLEDGE and len(rest) == 1:
                answer = await acknowledge(session, svc.catalogue, alert_id, user.id, now)
            elif kind == RESOLVE and len(rest) == 1:
                answer = await choose_outcome(session, alert_id, user.id, now, None)
            elif kind == OUTCOME and len(rest) == 2:
                answer = await choose_outcome(session, alert_id, user.id, now, rest[1])
            elif kind == GRADE and len(rest) == 3:
                answer = await resolve(session, alert_id, user.id, now, rest[1], rest[2])
            text = answer.text if answer is not None else NOT_VALID
    await answer_button(query, text, alert=True)


async def alerts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/alerts in a direct chat: the open alerts of my teams (staff only, audited)."""
    user, where = update.effective_user, update.effective_chat
    if user is None or where is None:
        return
    svc: Services = context.application.bot_data["services"]
    async with unit_of_work(svc, update) as session:
        if session is None:
            return
        now = svc.clock.now()
        member = await staff_member(session, user.id)
        if member is None:
            await append(
                session,
                at=now,
                actor_kind="telegram_user",
                actor_ref=f"tg:{user.id}",
                action="alerts.view",
                outcome="refused",
                origin="telegram",
            )
            text = "This command is for care-team staff."
        else:
            text = await open_alerts_text(session, svc.catalogue, member, now)
        enqueue(session, chat_id=where.id, now=now, purpose="reply", payload=message(text))


def add_care_team_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    pattern = rf"^({ACKNOWLEDGE}|{RESOLVE}|{OUTCOME}|{GRADE}):"
    application.add_handler(CallbackQueryHandler(alert_button, pattern=pattern))
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("alerts", alerts_command, filters=private))
