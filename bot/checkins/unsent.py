"""Check-ins the bot never sent (it was not running, or quiet hours ran into the window's
end) are closed as missed without blaming the patient, and the team is told who was not
asked, in one message per team chat that grows while it waits to go."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import PatientChat
from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.telegram.render.patient import message
from db.models import CheckIn, OutboxMessage, OutboxStatus, Team

PURPOSE = "unsent_checkins"
HEADER = (
    "These check-ins could not be sent in their window (the bot was not running) and are "
    "recorded as missed; the patients were not asked. Please check on them:"
)
MAX_TEXT = 3500  # well under Telegram's 4096: a longer list starts a new message


async def tell_team_not_sent(chat: PatientChat, row: CheckIn) -> None:
    team = await chat.session.get_one(Team, chat.episode.team_id)
    if team.chat_id is None:
        return
    due = row.due_at.astimezone(ZoneInfo(team.timezone))
    line = f"• {chat.patient.ref} · POD {row.pod} · due {due:%d %b %H:%M}"
    waiting = await chat.session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.chat_id == team.chat_id,
            OutboxMessage.purpose == PURPOSE,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
        .with_for_update()
    )
    if waiting is not None and len(waiting.payload["text"]) + len(line) < MAX_TEXT:
        waiting.payload = {**waiting.payload, "text": f"{waiting.payload['text']}\n{line}"}
        return
    enqueue(
        chat.session,
        chat_id=team.chat_id,
        now=chat.now,
        purpose=PURPOSE,
        payload=message(f"{HEADER}\n{line}"),
        priority=PRIORITY_ALERT,
    )
