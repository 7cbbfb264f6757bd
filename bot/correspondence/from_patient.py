"""A patient's words, photo or voice message outside a check-in: kept with their record and
shown to their care team as a card with **Reply to patient** and **Add note**.

Only what no question is waiting for comes here: a reply to the open check-in's question,
or the words asked for after a concern, stay answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import PatientChat
from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.i18n import t
from bot.reports.recovery_chart import pod_on
from bot.telegram.render.correspondence import message_card
from bot.telegram.render.patient import message
from db.audit import append
from db.models import Content, Direction, EpisodeStatus, PatientMessage, Team


@dataclass(frozen=True)
class Said:
    """What the patient sent: words, or a photo or voice message (its file id) with the
    words of its caption, if any."""

    content: Content
    text: str | None = None
    file_id: str | None = None


async def keep_message(
    chat: PatientChat, said: Said, emergency_number: str, update_id: int
) -> None:
    """Keep the message, put its card in the team's chat, and tell the patient it went
    (and what to do if it cannot wait)."""
    if chat.episode.status is EpisodeStatus.INVITED:  # not consented: nothing is collected
        chat.send(message(t(chat.language, "not_in_checkin")), "reply")
        return
    kept = PatientMessage(
        episode_id=chat.episode.id,
        direction=Direction.FROM_PATIENT,
        content=said.content,
        text=said.text or None,
        file_id=said.file_id,
        sent_at=chat.now,
        origin="telegram",
        update_id=update_id,
    )
    chat.session.add(kept)
    await chat.session.flush()
    team = await chat.session.get_one(Team, chat.episode.team_id)
    if team.chat_id is not None:
        method, card = message_card(
            message_id=kept.id,
            content=said.content.value,
            text=kept.text,
            file_id=kept.file_id,
            patient_ref=chat.patient.ref,
            patient_name=chat.patient.display_name,
            procedure=chat.episode.procedure,
            pod=pod_on(chat.patient, chat.episode, chat.now),
        )
        enqueue(
            chat.session,
            chat_id=team.chat_id,
            now=chat.now,
            purpose="message_card",
            method=method,
            payload=card,
            priority=PRIORITY_ALERT,
            episode_id=chat.episode.id,
        )
    number = await chat.emergency_number(emergency_number)
    chat.send(message(t(chat.language, "message_kept", number=number)), "reply")
    await append(
        chat.session,
        at=chat.now,
        actor_kind="patient",
        actor_ref=f"patient:{chat.patient.ref}",
        action="message.from_patient",
        origin="telegram",
        patient_ref=chat.patient.ref,
        detail={"episode": chat.episode.id, "message": kept.id, "content": said.content.value},
    )
