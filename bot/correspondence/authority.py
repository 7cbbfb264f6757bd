"""Who may write on a patient's record: a nurse or surgeon of the patient's care team (their
role in that team: an admin of it who nurses on another ward may not),
linked (Telegram) or signed in (console), and still active. Whatever a button or a form
says, this is read from the database; every attempt is audited, without its words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import telegram_actor
from bot.alerts.actions import ConsoleUser, Presser
from db.audit import append
from db.models import Episode, Patient, Staff, StaffRole, TeamMember

CLINICAL_ROLES = (StaffRole.NURSE, StaffRole.SURGEON)
REFUSED = "Only a nurse or surgeon of this patient's care team can do this."


@dataclass(frozen=True)
class Writer:
    """Someone writing on the record of ``episode``; ``staff`` is None when they may not."""

    who: Presser
    episode: Episode | None
    patient: Patient | None
    staff: Staff | None

    @property
    def allowed(self) -> bool:
        return self.staff is not None

    @property
    def origin(self) -> str:
        return "console" if isinstance(self.who, ConsoleUser) else "telegram"


async def writer(session: AsyncSession, episode_id: int | None, who: Presser) -> Writer:
    episode = await session.get(Episode, episode_id) if episode_id is not None else None
    if episode is None:
        return Writer(who, None, None, None)
    patient = await session.get_one(Patient, episode.patient_id)
    is_who = (
        Staff.id == who.staff_id if isinstance(who, ConsoleUser) else Staff.telegram_user_id == who
    )
    staff = await session.scalar(
        select(Staff)
        .join(TeamMember, TeamMember.staff_id == Staff.id)
        .where(
            is_who,
            Staff.active.is_(True),
            TeamMember.role.in_(CLINICAL_ROLES),
            TeamMember.team_id == episode.team_id,
        )
    )
    return Writer(who, episode, patient, staff)


async def audit(
    session: AsyncSession,
    writer: Writer,
    now: datetime,
    action: str,
    outcome: str = "done",
    **detail: Any,
) -> None:
    """Who did what on which record, by id; a refused attempt names no patient (the person
    may not know who it is)."""
    if writer.staff is not None:
        kind, ref = "staff", f"staff:{writer.staff.id}"
    elif isinstance(writer.who, ConsoleUser):
        kind, ref = "staff", f"staff:{writer.who.staff_id}"
    else:
        kind, ref = await telegram_actor(session, writer.who)
    granted = writer.allowed and writer.patient is not None
    await append(
        session,
        at=now,
        actor_kind=kind,
        actor_ref=ref,
        action=action,
        outcome=outcome,
        origin=writer.origin,
        patient_ref=writer.patient.ref if granted and writer.patient else None,
        detail=detail,
    )
