"""A nurse or surgeon of the patient's team writes to the patient: from the Telegram card's
**Reply to patient** button or from the console's patient page, through this one use case.

The patient sees "Your care team: …" in their language. Quiet hours do not hold it back: the
clinical defaults send a nurse's message to the patient at any hour.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.actions import Notice, Presser
from bot.correspondence.authority import REFUSED, audit, writer
from bot.delivery.outbox import PRIORITY_CONVERSATION, enqueue
from bot.i18n import t
from bot.telegram.render.patient import message
from db.models import Content, Direction, EpisodeStatus, PatientMessage

WORDS_LIMIT = 2000  # characters: well inside Telegram's 4096 with the greeting
ACTION = "message.to_patient"
# The episodes whose patient still reads the bot (a paused patient still gets their team's).
REACHABLE = (EpisodeStatus.ACTIVE, EpisodeStatus.PAUSED, EpisodeStatus.ON_HOLD)
EMPTY = "Nothing was sent: the message to the patient was empty."
TOO_LONG = f"Nothing was sent: a message to the patient is at most {WORDS_LIMIT} characters."


async def write_to_patient(
    session: AsyncSession, episode_id: int | None, who: Presser, words: str, now: datetime
) -> Notice:
    """Send ``words`` to the patient of ``episode_id``, keep them with the record and audit
    who wrote to whom (never the words)."""
    by = await writer(session, episode_id, who)
    words = words.strip()
    if not by.allowed:
        await audit(session, by, now, ACTION, "refused", episode=episode_id)
        return Notice(REFUSED, granted=False)
    assert by.episode is not None and by.patient is not None and by.staff is not None
    problem = EMPTY if not words else TOO_LONG if len(words) > WORDS_LIMIT else None
    patient, episode = by.patient, by.episode
    chat_id = patient.telegram_chat_id
    if problem is None and (chat_id is None or episode.status not in REACHABLE):
        problem = f"Nothing was sent: patient {patient.ref} cannot be reached in Telegram."
    if problem is not None or chat_id is None:
        await audit(session, by, now, ACTION, "refused", episode=episode.id)
        return Notice(problem or REFUSED, granted=False)
    kept = PatientMessage(
        episode_id=episode.id,
        direction=Direction.TO_PATIENT,
        content=Content.TEXT,
        text=words,
        sent_at=now,
        staff_id=by.staff.id,
        origin=by.origin,
    )
    session.add(kept)
    await session.flush()
    enqueue(
        session,
        chat_id=chat_id,
        now=now,  # at once, whatever the hour: quiet hours never hold the team's words
        purpose="care_team_message",
        payload=message(t(patient.language, "care_team_says", words=words)),
        priority=PRIORITY_CONVERSATION,
        episode_id=episode.id,
    )
    await audit(session, by, now, ACTION, episode=episode.id, message=kept.id)
    return Notice(f"Sent to patient {patient.ref}.", granted=True)
