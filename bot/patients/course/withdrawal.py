"""The team ends a patient's follow-up: nothing more is sent or asked, the patient is told
in their language, and their link stops working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from bot.patients.course.team_change import Actor, open_chat, tell_and_audit
from bot.patients.enrolment.link import revoke_links
from bot.telegram.render import patient as render
from db.models import CheckIn, CheckInStatus, EpisodeStatus

UNFINISHED = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Withdrawn:
    ref: str
    cancelled: int  # check-ins that will not be asked
    told: bool


async def withdraw(
    session: AsyncSession,
    *,
    ref: str,
    now: datetime,
    actor: str,
    emergency_number: str,
    actor_kind: str = "cli",
    origin: str = "cli",
) -> Withdrawn:
    """Open alerts stay open: what the patient reported before is still the team's to see."""
    chat = await open_chat(session, ref, now)
    episode = chat.episode
    before = episode.status
    episode.status, episode.updated_at = EpisodeStatus.WITHDRAWN, now
    cancelled = await session.execute(
        update(CheckIn)
        .where(CheckIn.episode_id == episode.id, CheckIn.status.in_(UNFINISHED))
        .values(status=CheckInStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    await revoke_links(session, episode.id, now)
    told = await tell_and_audit(
        chat,
        actor=Actor(actor, actor_kind, origin),
        action="patient.withdraw",
        detail={"from": before.value},
        message=(
            render.message(
                t(
                    chat.language,
                    "withdrawn",
                    emergency_number=await chat.emergency_number(emergency_number),
                )
            ),
            "withdrawn",
        ),
    )
    return Withdrawn(
        ref=ref,
        cancelled=cancelled.rowcount,  # type: ignore[attr-defined]
        told=told,
    )
