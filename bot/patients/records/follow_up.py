"""One patient's follow-up as the console shows it to their care team: who they are, every
check-in with its answers and findings, every alert with what happened to it, and the
numbers behind the charts. A person's look at it is audited, as ``/patient`` in Telegram is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.worklist import STAFF_LANGUAGE, FindingLine, finding_line, with_unit
from bot.patients.records.files import answer_file_ref, photo_items
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.recovery_chart import pod_on, recovery_chart
from bot.telegram.render.chart import Point, RecoveryChart
from db.audit import append
from db.models import (
    Alert,
    AlertEvent,
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    Patient,
    ProtocolVersion,
    Staff,
    Team,
)
from flows import Protocol, Tier

ACTION = "patient.view"
TEMPERATURE = "temperature"


@dataclass(frozen=True)
class Header:
    ref: str
    name: str | None
    pathway: str  # the protocol's title
    pathway_version: str  # protocol_id@version
    procedure: str | None
    surgery_date: date
    discharge_date: date | None
    pod: int
    team: str
    language: str
    zone: str  # the patient's time zone; times on the page are theirs
    status: str


@dataclass(frozen=True)
class AnswerLine:
    item: str
    question: str  # as the protocol asks it, in the staff's language
    value: str  # with its unit
    late: bool
    by: str = "patient"  # or "caregiver", answering for the patient
    file: str | None = None  # a photo's reference on the console (records.files)


@dataclass(frozen=True)
class CheckInLine:
    pod: int
    kind: str
    status: str
    due_at: datetime
    completed_at: datetime | None
    tier: Tier | None
    recovery_score: int | None
    answers: tuple[AnswerLine, ...]
    findings: tuple[FindingLine, ...]


@dataclass(frozen=True)
class EventLine:
    at: datetime
    kind: str
    by: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AlertLine:
    alert_id: int
    tier: Tier
    status: str
    cause: str
    opened_at: datetime
    findings: tuple[FindingLine, ...]
    outcome: str | None
    clavien_dindo: str | None
    events: tuple[EventLine, ...]


@dataclass(frozen=True)
class FollowUp:
    header: Header
    chart: RecoveryChart
    temperatures: tuple[Point, ...]  # (POD, °C)
    check_ins: tuple[CheckInLine, ...]  # sent so far, newest first
    alerts: tuple[AlertLine, ...]  # newest first


def question_of(protocol: Protocol, item_id: str) -> str:
    """The question as the protocol words it for the team (the item's id when it has none)."""
    item = protocol.items_by_id.get(item_id)
    if item is None:
        return item_id.replace("_", " ")
    return item.question.get(STAFF_LANGUAGE) or next(iter(item.question.values()))


async def team_of_episode(session: AsyncSession, episode_id: int) -> int | None:
    """The team following an episode (None: no such episode, or its patient was erased)."""
    team_id: int | None = await session.scalar(
        select(Episode.team_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Episode.id == episode_id, Patient.erased_at.is_(None))
    )
    return team_id


async def follow_up(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    episode_id: int,
    team_ids: Collection[int],
    staff_id: int,
    now: datetime,
    *,
    audited: bool = True,
) -> FollowUp | None:
    """Episode ``episode_id`` as a member of ``team_ids`` sees it (None: not theirs)."""
    found = (
        await session.execute(
            select(Episode, Patient, Team)
            .join(Patient, Patient.id == Episode.patient_id)
            .join(Team, Team.id == Episode.team_id)
            .where(
                Episode.id == episode_id,
                Episode.team_id.in_(team_ids),
                Patient.erased_at.is_(None),
            )
        )
    ).first()
    if found is None:
        return None
    episode, patient, team = found
    version = await session.get_one(ProtocolVersion, episode.protocol_version_id)
    protocol = catalogue.of(version)
    header = Header(
        ref=patient.ref,
        name=patient.display_name,
        pathway=protocol.title,
        pathway_version=f"{version.protocol_id}@{version.version}",
        procedure=episode.procedure,
        surgery_date=episode.surgery_date,
        discharge_date=episode.discharge_date,
        pod=pod_on(patient, episode, now),
        team=team.name,
        language=patient.language,
        zone=patient.timezone,
        status=episode.status.value,
    )
    check_ins = list(
        await session.scalars(
            select(CheckIn)
            .where(CheckIn.episode_id == episode.id, CheckIn.status != CheckInStatus.SCHEDULED)
            .order_by(CheckIn.due_at.desc(), CheckIn.id.desc())
        )
    )
    answers: dict[int, list[Answer]] = {}
    if check_ins:
        for answer in await session.scalars(
            select(Answer)
            .where(Answer.checkin_id.in_([c.id for c in check_ins]))
            .order_by(Answer.answered_at, Answer.id)
        ):
            answers.setdefault(answer.checkin_id, []).append(answer)
    alerts = list(
        await session.scalars(
            select(Alert)
            .where(Alert.episode_id == episode.id)
            .order_by(Alert.opened_at.desc(), Alert.id.desc())
        )
    )
    findings_of: dict[int, list[FindingLine]] = {}
    for alert in alerts:
        if alert.checkin_id is not None:
            found_lines = [finding_line(f, protocol) for f in alert.findings]
            findings_of.setdefault(alert.checkin_id, []).extend(found_lines)
    photos = photo_items(protocol)

    def shown(answer: Answer) -> AnswerLine:
        item, by = answer.item_id, answer.answered_by
        asked = question_of(protocol, item)
        if item in photos:
            if not isinstance(answer.value, str) or not answer.value:
                return AnswerLine(item, asked, "no photo", answer.late, by)
            return AnswerLine(item, asked, "photo", answer.late, by, answer_file_ref(answer.id))
        value = with_unit(answer.value, item, protocol)
        return AnswerLine(item, asked, value, answer.late, by)

    lines = tuple(
        CheckInLine(
            pod=row.pod,
            kind=row.kind.value,
            status=row.status.value,
            due_at=row.due_at,
            completed_at=row.completed_at,
            tier=row.tier,
            recovery_score=row.recovery_score,
            answers=tuple(shown(a) for a in answers.get(row.id, [])),
            findings=tuple(findings_of.get(row.id, [])),
        )
        for row in check_ins
    )
    temperatures = tuple(
        (row.pod, float(a.value))
        for row in reversed(check_ins)
        for a in answers.get(row.id, [])
        if a.item_id == TEMPERATURE and isinstance(a.value, int | float)
    )
    alert_lines = await _alert_lines(session, protocol, alerts)
    if audited:
        await append(
            session,
            at=now,
            actor_kind="staff",
            actor_ref=f"staff:{staff_id}",
            action=ACTION,
            patient_ref=patient.ref,
            origin="console",
            detail={"episode": episode.id, "alerts": [a.id for a in alerts]},
        )
    chart = await recovery_chart(session, catalogue, patient, episode, now)
    return FollowUp(header, chart, temperatures, lines, alert_lines)


async def _alert_lines(
    session: AsyncSession, protocol: Protocol, alerts: list[Alert]
) -> tuple[AlertLine, ...]:
    if not alerts:
        return ()
    events: dict[int, list[AlertEvent]] = {}
    for event in await session.scalars(
        select(AlertEvent)
        .where(AlertEvent.alert_id.in_([a.id for a in alerts]))
        .order_by(AlertEvent.at, AlertEvent.id)
    ):
        events.setdefault(event.alert_id, []).append(event)
    staff_ids = {e.staff_id for es in events.values() for e in es if e.staff_id is not None}
    names: dict[int, str] = {}
    if staff_ids:
        rows = await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids)))
        names = {staff_id: name for staff_id, name in rows.tuples()}
    return tuple(
        AlertLine(
            alert_id=alert.id,
            tier=alert.tier,
            status=alert.status.value,
            cause=alert.cause,
            opened_at=alert.opened_at,
            findings=tuple(finding_line(f, protocol) for f in alert.findings),
            outcome=alert.outcome,
            clavien_dindo=alert.clavien_dindo,
            events=tuple(
                EventLine(e.at, e.kind, names.get(e.staff_id) if e.staff_id else None, e.detail)
                for e in events.get(alert.id, [])
            ),
        )
        for alert in alerts
    )
