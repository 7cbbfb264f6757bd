"""What every change the team makes to a follow-up in progress shares: the patient's chat to
change and write to, and one step that tells the patient (when there is something to tell)
and writes the audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import PatientChat
from bot.patients.enrolment.enrol import open_episode
from bot.telegram.render.patient import Payload
from db.audit import append


@dataclass(frozen=True)
class Actor:
    """Who made the change, for the audit log: an admin at the command line by default."""

    ref: str
    kind: str = "cli"
    origin: str = "cli"


async def open_chat(session: AsyncSession, ref: str, now: datetime) -> PatientChat:
    """The patient's follow-up in progress, to change and to write to."""
    patient, episode = await open_episode(session, ref)
    return PatientChat(session, patient, episode, now)


async def tell_and_audit(
    chat: PatientChat,
    *,
    actor: Actor,
    action: str,
    detail: dict[str, Any],
    message: tuple[Payload, str] | None,
) -> bool:
    """``message``: what to send and its purpose, or None. Returns whether the patient can be
    written to at all (only once they opened their link)."""
    if message is not None:
        chat.send(*message)
    await append(
        chat.session,
        at=chat.now,
        actor_kind=actor.kind,
        actor_ref=actor.ref,
        action=action,
        origin=actor.origin,
        patient_ref=chat.patient.ref,
        detail=detail,
    )
    return chat.patient.telegram_chat_id is not None
