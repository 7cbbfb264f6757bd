"""The team pauses a patient's follow-up (e.g. readmitted) and resumes it.

On hold, nothing is sent: no check-in, no reminder, and a check-in whose window closes is
cancelled rather than missed, so no missed-check-in alert either. Unlike the patient's own
pause (/stop), only the team resumes it: a readmitted patient's /start changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import PatientChat
from bot.i18n import t
from bot.patients.enrolment import EnrolmentRefused
from bot.patients.protocol_change import open_episode
from bot.patients.requests import next_checkin
from bot.telegram.render import patient as render
from db.audit import append
from db.models import EpisodeStatus


@dataclass(frozen=True)
class HoldChanged:
    ref: str
    status: EpisodeStatus
    told: bool  # whether the patient was written to (only once linked)


async def open_chat(session: AsyncSession, ref: str, now: datetime) -> PatientChat:
    """The patient's follow-up in progress, to change and to write to."""
    patient, episode = await open_episode(session, ref)
    return PatientChat(session, patient, episode, now)


async def put_on_hold(
    session: AsyncSession,
    *,
    ref: str,
    now: datetime,
    actor: str,
    emergency_number: str,
    actor_kind: str = "cli",
    origin: str = "cli",
) -> HoldChanged:
    chat = await open_chat(session, ref, now)
    episode = chat.episode
    if episode.status is EpisodeStatus.ON_HOLD:
        raise EnrolmentRefused(f"patient {ref}'s follow-up is on hold already")
    before = episode.status
    episode.status, episode.updated_at = EpisodeStatus.ON_HOLD, now
    chat.send(
        render.message(t(chat.language, "on_hold", emergency_number=emergency_number)), "on_hold"
    )
    await append(
        chat.session,
        at=now,
        actor_kind=actor_kind,
        actor_ref=actor,
        action="patient.pause",
        origin=origin,
        patient_ref=ref,
        detail={"from": before.value},
    )
    return HoldChanged(ref, EpisodeStatus.ON_HOLD, chat.patient.telegram_chat_id is not None)


async def resume(
    session: AsyncSession,
    *,
    ref: str,
    now: datetime,
    actor: str,
    actor_kind: str = "cli",
    origin: str = "cli",
) -> HoldChanged:
    chat = await open_chat(session, ref, now)
    episode = chat.episode
    if episode.status is EpisodeStatus.PAUSED:
        raise EnrolmentRefused(
            f"patient {ref} paused the follow-up themselves: they resume it with /start"
        )
    if episode.status is not EpisodeStatus.ON_HOLD:
        raise EnrolmentRefused(f"patient {ref}'s follow-up is not on hold")
    # Back to where the patient was: one who had not consented yet is asked again on /start.
    episode.status = EpisodeStatus.ACTIVE if episode.consented_at else EpisodeStatus.INVITED
    episode.updated_at = now
    if episode.status is EpisodeStatus.ACTIVE:
        upcoming = await next_checkin(chat)
        chat.send(
            render.message(
                t(chat.language, "resumed_by_team", next_checkin=upcoming),
                render.menu(chat.language),
            ),
            "resumed",
        )
    await append(
        chat.session,
        at=now,
        actor_kind=actor_kind,
        actor_ref=actor,
        action="patient.resume",
        origin=origin,
        patient_ref=ref,
        detail={"to": episode.status.value},
    )
    return HoldChanged(ref, episode.status, chat.patient.telegram_chat_id is not None)
