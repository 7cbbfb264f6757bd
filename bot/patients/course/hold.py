"""The team pauses a patient's follow-up (e.g. readmitted) and resumes it.

On hold, nothing is sent: no check-in, no reminder, and a check-in whose window closes is
cancelled rather than missed, so no missed-check-in alert either. Unlike the patient's own
pause (/stop), only the team resumes it: a readmitted patient's /start changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from bot.patients.chat.requests import next_checkin
from bot.patients.course.team_change import Actor, open_chat, tell_and_audit
from bot.patients.enrolment.enrol import EnrolmentRefused
from bot.telegram.render import patient as render
from db.models import EpisodeStatus


@dataclass(frozen=True)
class HoldChanged:
    ref: str
    status: EpisodeStatus
    told: bool  # whether the patient was written to (only once linked)


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
    told = await tell_and_audit(
        chat,
        actor=Actor(actor, actor_kind, origin),
        action="patient.pause",
        detail={"from": before.value},
        message=(
            render.message(
                t(
                    chat.language,
                    "on_hold",
                    emergency_number=await chat.emergency_number(emergency_number),
                )
            ),
            "on_hold",
        ),
    )
    return HoldChanged(ref, EpisodeStatus.ON_HOLD, told)


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
    episode.updated_at = episode.resumed_at = now
    message = None
    if episode.status is EpisodeStatus.ACTIVE:
        upcoming = await next_checkin(chat)
        message = (
            render.message(
                t(chat.language, "resumed_by_team", next_checkin=upcoming),
                render.menu(chat.language),
            ),
            "resumed",
        )
    told = await tell_and_audit(
        chat,
        actor=Actor(actor, actor_kind, origin),
        action="patient.resume",
        detail={"to": episode.status.value},
        message=message,
    )
    return HoldChanged(ref, episode.status, told)
