"""A patient's record for their care team: the current episode's timeline and recovery chart.

Only active staff linked to Telegram who are members of the episode's team see it. Anyone
else is told the same thing whether or not the patient exists, and every look and every
refusal is written to the audit log with the reference asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import telegram_actor
from bot.delivery.api_calls import png_photo
from bot.delivery.outbox import enqueue
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.recovery_chart import pod_on, recovery_chart
from bot.staff.views import NOT_STAFF, staff_member
from bot.telegram.render.chart import png
from bot.telegram.render.patient import message
from bot.telegram.render.timeline import AlertEntry, CheckInEntry, Timeline, timeline_text
from db.audit import append
from db.models import (
    Alert,
    CheckIn,
    CheckInStatus,
    Episode,
    Patient,
    ProtocolVersion,
    Staff,
    TeamMember,
)

ACTION = "patient.view"
MAX_REF = 64  # the length of a stored reference
USAGE = "Usage: /patient REF, with the patient's reference."
NOT_FOUND = "No patient {ref} among your teams' patients."
STATUS_WORDS = {
    CheckInStatus.SCHEDULED: "pending",
    CheckInStatus.SENT: "pending (sent)",
    CheckInStatus.IN_PROGRESS: "pending (partly answered)",
    CheckInStatus.COMPLETED: "answered",
    CheckInStatus.MISSED: "missed",
    CheckInStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class Shown:
    """What the staff member is sent: a text, and with a record its chart (PNG)."""

    text: str
    chart: bytes | None = None
    caption: str | None = None


async def send_patient_record(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    chat_id: int,
    telegram_user_id: int,
    ref: str,
    now: datetime,
) -> None:
    """Answer ``/patient REF`` in ``chat_id``: the timeline, then the chart as a photo."""
    shown = await show_patient(session, catalogue, telegram_user_id, ref, now)
    enqueue(session, chat_id=chat_id, now=now, purpose="reply", payload=message(shown.text))
    if shown.chart is not None:
        enqueue(
            session,
            chat_id=chat_id,
            now=now,
            purpose="patient_chart",
            method="sendPhoto",
            payload=png_photo(shown.chart, shown.caption),
        )


async def show_patient(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    telegram_user_id: int,
    ref: str,
    now: datetime,
) -> Shown:
    """``/patient REF`` from this Telegram user: the record, or a refusal; audited both ways."""
    ref = ref.strip()[:MAX_REF]
    member = await staff_member(session, telegram_user_id)
    if member is None:
        kind, who = await telegram_actor(session, telegram_user_id)
        await _audit(session, now, kind, who, ref, "not_staff")
        return Shown(NOT_STAFF)
    actor = f"staff:{member.id}"
    if not ref:
        await _audit(session, now, "staff", actor, None, "no_reference")
        return Shown(USAGE)
    found = await _current_episode(session, ref)
    if found is None or not await _in_team(session, member, found[1]):
        reason = "unknown_patient" if found is None else "not_their_team"
        await _audit(session, now, "staff", actor, ref, reason)
        return Shown(NOT_FOUND.format(ref=ref))
    patient, episode = found
    alerts = list(
        await session.scalars(
            select(Alert).where(Alert.episode_id == episode.id).order_by(Alert.opened_at, Alert.id)
        )
    )
    timeline = await _timeline(session, catalogue, patient, episode, alerts, now)
    recovery = await recovery_chart(session, catalogue, patient, episode, now)
    await _audit(
        session,
        now,
        "staff",
        actor,
        ref,
        None,
        {"episode": episode.id, "alerts": [a.id for a in alerts]},
    )
    # Drawing takes a fraction of a second: in a worker thread, off the event loop.
    chart = await asyncio.to_thread(png, recovery)
    caption = f"{patient.ref} · pain and walking by POD, against the pathway's milestones"
    return Shown(timeline_text(timeline), chart, caption)


async def _timeline(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    patient: Patient,
    episode: Episode,
    alerts: Sequence[Alert],
    now: datetime,
) -> Timeline:
    version = await session.get_one(ProtocolVersion, episode.protocol_version_id)
    check_ins = await session.scalars(
        select(CheckIn).where(CheckIn.episode_id == episode.id).order_by(CheckIn.due_at, CheckIn.id)
    )
    zone = ZoneInfo(patient.timezone)
    return Timeline(
        ref=patient.ref,
        procedure=episode.procedure,
        surgery_date=episode.surgery_date,
        pod_today=pod_on(patient, episode, now),
        episode_status=episode.status.value,
        protocol=f"{version.protocol_id}@{version.version}",
        protocol_title=catalogue.of(version).title,
        timezone=patient.timezone,
        check_ins=[_check_in_entry(row, zone) for row in check_ins],
        alerts=await _alert_entries(session, alerts, zone),
    )


async def _audit(
    session: AsyncSession,
    now: datetime,
    actor_kind: str,
    actor_ref: str,
    ref: str | None,
    refused: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    await append(
        session,
        at=now,
        actor_kind=actor_kind,
        actor_ref=actor_ref,
        action=ACTION,
        outcome="done" if refused is None else "refused",
        patient_ref=ref or None,
        origin="telegram",
        detail=detail if refused is None else {"reason": refused},
    )


async def _current_episode(session: AsyncSession, ref: str) -> tuple[Patient, Episode] | None:
    """The patient's newest episode; an erased patient is no patient."""
    row = (
        await session.execute(
            select(Patient, Episode)
            .join(Episode, Episode.patient_id == Patient.id)
            .where(Patient.ref == ref, Patient.erased_at.is_(None))
            .order_by(Episode.surgery_date.desc(), Episode.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def _in_team(session: AsyncSession, member: Staff, episode: Episode) -> bool:
    found = await session.scalar(
        select(TeamMember.staff_id).where(
            TeamMember.team_id == episode.team_id, TeamMember.staff_id == member.id
        )
    )
    return found is not None


def _check_in_entry(row: CheckIn, zone: ZoneInfo) -> CheckInEntry:
    status = STATUS_WORDS[row.status]
    if (
        row.status is CheckInStatus.COMPLETED
        and row.completed_at
        and row.completed_at >= row.missed_at
    ):
        status = "answered late"
    return CheckInEntry(
        pod=row.pod,
        kind=row.kind.value,
        due=row.due_at.astimezone(zone),
        status=status,
        tier=row.tier,
        recovery_score=row.recovery_score,
    )


async def _alert_entries(
    session: AsyncSession, alerts: Sequence[Alert], zone: ZoneInfo
) -> list[AlertEntry]:
    staff_ids = {a.acknowledged_by for a in alerts} | {a.resolved_by for a in alerts}
    names = await _staff_names(session, {i for i in staff_ids if i is not None})
    return [
        AlertEntry(
            id=alert.id,
            tier=alert.tier,
            opened=alert.opened_at.astimezone(zone),
            status=alert.status.value,
            rules=list(dict.fromkeys(f.rule for f in alert.findings)),
            acknowledged_by=names.get(alert.acknowledged_by) if alert.acknowledged_by else None,
            resolved_by=names.get(alert.resolved_by) if alert.resolved_by else None,
            outcome=alert.outcome,
            clavien_dindo=alert.clavien_dindo,
        )
        for alert in alerts
    ]


async def _staff_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    if not ids:
        return {}
    rows = await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids)))
    return {staff_id: name for staff_id, name in rows.tuples()}
