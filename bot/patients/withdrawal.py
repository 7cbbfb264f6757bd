"""The team ends a patient's follow-up: nothing more is sent or asked, the patient is told
in their language, and their link stops working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from bot.patients.hold import open_chat
from bot.patients.link import revoke_links
from bot.telegram.render import patient as render
from db.audit import append
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
    chat.send(
        render.message(t(chat.language, "withdrawn", emergency_number=emergency_number)),
        "withdrawn",
    )
    await append(
        session,
        at=now,
        actor_kind=actor_kind,
        actor_ref=actor,
        action="patient.withdraw",
        origin=origin,
        patient_ref=ref,
        detail={"from": before.value},
    )
    return Withdrawn(
        ref=ref,
        cancelled=cancelled.rowcount,  # type: ignore[attr-defined]
        told=chat.patient.telegram_chat_id is not None,
    )
