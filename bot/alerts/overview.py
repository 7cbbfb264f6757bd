"""What admins see of the alerts: all of them, newest first, and one with its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import append
from db.models import Alert, AlertEvent, AlertStatus, Episode, Patient, Team


def _with_patient_and_team() -> Select[tuple[Alert, str, str]]:
    return (
        select(Alert, Patient.ref, Team.name)
        .join(Episode, Episode.id == Alert.episode_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Team, Team.id == Episode.team_id)
    )


async def alerts(session: AsyncSession, *, only_open: bool = False) -> list[dict[str, Any]]:
    """Every alert (or those not yet resolved), newest first."""
    query = _with_patient_and_team().order_by(Alert.opened_at.desc(), Alert.id.desc())
    if only_open:
        query = query.where(Alert.status != AlertStatus.RESOLVED)
    rows = (await session.execute(query)).all()
    return [
        {
            "id": a.id,
            "patient": ref,
            "team": team,
            "tier": a.tier,
            "status": a.status.value,
            "cause": a.cause,
            "opened_at": a.opened_at.isoformat(),
            "rules": [f.rule for f in a.findings],
            "findings": [f.to_json() for f in a.findings],
        }
        for a, ref, team in rows
    ]


async def alert(
    session: AsyncSession, alert_id: int, *, now: datetime, actor: str
) -> dict[str, Any] | None:
    """One alert: its findings, outcome and timeline; None when there is no such alert.
    The view is audited."""
    row = (await session.execute(_with_patient_and_team().where(Alert.id == alert_id))).first()
    if row is None:
        return None
    found, ref, team = row
    events = await session.scalars(
        select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
    )
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="alert.view",
        origin="cli",
        patient_ref=ref,
        detail={"alert": alert_id},
    )
    return {
        "id": found.id,
        "patient": ref,
        "team": team,
        "tier": found.tier,
        "status": found.status.value,
        "cause": found.cause,
        "opened_at": found.opened_at.isoformat(),
        "findings": [f.to_json() for f in found.findings],
        "outcome": found.outcome,
        "clavien_dindo": found.clavien_dindo,
        "timeline": [
            {"at": e.at.isoformat(), "event": e.kind, "staff": e.staff_id, **e.detail}
            for e in events
        ],
    }
