"""What admins see of the enrolled patients: every episode, and one patient's (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import append
from db.models import CheckIn, CheckInStatus, Episode, Patient, ProtocolVersion, Team


async def episodes(
    session: AsyncSession, ref: str | None = None, pathway: str | None = None
) -> list[dict[str, Any]]:
    """Every episode (or patient ``ref``'s, or those on ``pathway``) with where its
    check-ins stand."""
    done = func.count().filter(CheckIn.status == CheckInStatus.COMPLETED)
    missed = func.count().filter(CheckIn.status == CheckInStatus.MISSED)
    ahead = func.count().filter(CheckIn.status == CheckInStatus.SCHEDULED)
    query = (
        select(Patient, Episode, Team.name, ProtocolVersion, done, missed, ahead)
        .join(Episode, Episode.patient_id == Patient.id)
        .join(Team, Team.id == Episode.team_id)
        .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
        .outerjoin(CheckIn, CheckIn.episode_id == Episode.id)
        .group_by(Patient.id, Episode.id, Team.name, ProtocolVersion.id)
        .order_by(Patient.ref, Episode.id)
    )
    if ref is not None:
        query = query.where(Patient.ref == ref)
    if pathway is not None:
        query = query.where(ProtocolVersion.protocol_id == pathway)
    rows = (await session.execute(query)).all()
    return [
        {
            "ref": p.ref,
            "name": p.display_name,
            "episode_id": e.id,
            "status": e.status.value,
            "team": team,
            "protocol": f"{v.protocol_id}@{v.version}",
            "procedure": e.procedure,
            "surgery_date": e.surgery_date.isoformat(),
            "discharge_date": e.discharge_date.isoformat() if e.discharge_date else None,
            "language": p.language,
            "timezone": p.timezone,
            "telegram_linked": p.telegram_user_id is not None,
            "erased_at": p.erased_at.isoformat() if p.erased_at else None,
            "check_ins": {"completed": d, "missed": m, "scheduled": a},
        }
        for p, e, team, v, d, m, a in rows
    ]


async def patient(
    session: AsyncSession, ref: str, *, now: datetime, actor: str
) -> list[dict[str, Any]]:
    """Patient ``ref``'s episodes (none: no such patient); the view is audited."""
    found = await episodes(session, ref)
    if found:
        await append(
            session,
            at=now,
            actor_kind="cli",
            actor_ref=actor,
            action="patient.view",
            origin="cli",
            patient_ref=ref,
        )
    return found
