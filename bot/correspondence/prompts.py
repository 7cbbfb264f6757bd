"""The Telegram way to write on a record: a card's button asks for the words with a prompt
in the team's group (ForceReply), and the reply to that prompt is the message or the note.

A prompt is known by the outbox row that posted it (its chat and Telegram message id), so
only a reply to one of the bot's own prompts acts; a reply to anything else in the group
(a card, a colleague) reaches nobody and says so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.actions import Notice
from bot.correspondence.authority import REFUSED, audit, writer
from bot.correspondence.notes import add_note
from bot.correspondence.to_patient import write_to_patient
from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.telegram.callbacks import NoteOnAlert, NoteOnMessage, RecordPress, ReplyToPatient
from bot.telegram.render.correspondence import note_prompt, reply_prompt
from bot.telegram.render.patient import message
from db.models import Alert, OutboxMessage, PatientMessage, Team

REPLY_PROMPT = "reply_prompt"
NOTE_PROMPT = "note_prompt"
NO_PROMPT = (
    "Nothing was sent or noted. To answer a patient, press “Reply to patient” on their "
    "message; for a note, press “Add note”; then reply to the bot's prompt."
)


async def ask_for_words(
    session: AsyncSession, press: RecordPress, telegram_user_id: int, now: datetime
) -> Notice:
    """A card's Reply or Add note button: the prompt goes to the patient's team's group,
    whichever chat the press claims to come from."""
    alert_id: int | None = None
    match press:
        case ReplyToPatient(message_id) | NoteOnMessage(message_id):
            written = await session.get(PatientMessage, message_id)
            episode_id = written.episode_id if written is not None else None
        case NoteOnAlert(alert_id):
            alert = await session.get(Alert, alert_id)
            episode_id = alert.episode_id if alert is not None else None
    by = await writer(session, episode_id, telegram_user_id)
    purpose = REPLY_PROMPT if isinstance(press, ReplyToPatient) else NOTE_PROMPT
    if not by.allowed:
        await audit(session, by, now, "prompt.ask", "refused", episode=episode_id, press=purpose)
        return Notice(REFUSED, granted=False)
    assert by.episode is not None and by.patient is not None and by.staff is not None
    team = await session.get_one(Team, by.episode.team_id)
    if team.chat_id is None:
        return Notice("This care team has no group to write in.", granted=False)
    prompt = (
        reply_prompt(by.patient.ref, by.staff.name)
        if purpose == REPLY_PROMPT
        else note_prompt(by.patient.ref, by.staff.name, alert_id)
    )
    enqueue(
        session,
        chat_id=team.chat_id,
        now=now,
        purpose=purpose,
        payload=prompt,
        priority=PRIORITY_ALERT,
        episode_id=by.episode.id,
        alert_id=alert_id,
    )
    return Notice("Write it as a reply to the bot's prompt in the group.", granted=True)


async def take_words(
    session: AsyncSession,
    chat_id: int,
    prompt_message_id: int,
    reply_message_id: int,
    telegram_user_id: int,
    words: str,
    now: datetime,
) -> None:
    """A reply, in a group, to the bot's message ``prompt_message_id``: the message to the
    patient or the note the prompt asked for. What it did, or why not, is said in the group
    as a reply to it."""
    prompt = await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.telegram_message_id == prompt_message_id,
            OutboxMessage.purpose.in_((REPLY_PROMPT, NOTE_PROMPT)),
        )
    )
    if prompt is None:
        by = await writer(session, None, telegram_user_id)
        await audit(session, by, now, "prompt.answer", "refused", reason="no_prompt")
        if await session.scalar(select(Team.id).where(Team.chat_id == chat_id)) is None:
            return  # no team's group: nothing to explain there
        notice = Notice(NO_PROMPT, granted=False)
    elif prompt.purpose == REPLY_PROMPT:
        notice = await write_to_patient(session, prompt.episode_id, telegram_user_id, words, now)
    else:
        notice = await add_note(
            session, prompt.episode_id, telegram_user_id, words, now, alert_id=prompt.alert_id
        )
    enqueue(
        session,
        chat_id=chat_id,
        now=now,
        purpose="team_notice",
        payload={
            **message(("✅ " if notice.granted else "⛔ ") + notice.text),
            "reply_parameters": {
                "message_id": reply_message_id,
                "allow_sending_without_reply": True,
            },
        },
        priority=PRIORITY_ALERT,
    )
