"""Moving every patient followed on a pathway to one version of it: how a safety fix in a
protocol reaches the patients already enrolled.

First a plan (what changes in the protocol, who moves, and how each one's next check-in
changes), for the admin to read and confirm; then the move itself, one patient at a time
through ``set_protocol``, so each gets their own audit row. Patients whose operation
belongs on another pathway are moved one by one with ``set_protocol``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.patients.course.protocol_change import ProtocolChanged, set_protocol
from bot.patients.enrolment.enrol import OPEN_EPISODES, EnrolmentRefused
from bot.protocols.catalogue import ProtocolCatalogue
from db.models import CheckIn, CheckInStatus, Episode, Patient, ProtocolVersion
from flows import Protocol, diff_protocols, plan_check_ins


@dataclass(frozen=True)
class NextCheckIn:
    pod: int
    due_at: datetime  # in the patient's time zone

    def __str__(self) -> str:
        return f"POD {self.pod} {self.due_at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class PatientMove:
    ref: str
    procedure: str | None
    before: str  # ID@VERSION
    next_before: NextCheckIn | None
    next_after: NextCheckIn | None
    ahead_before: int  # check-ins still to come
    ahead_after: int


@dataclass(frozen=True)
class PathwayMove:
    pathway: str
    to: str  # ID@VERSION
    changes: dict[str, list[str]]  # each version moved from → what changes (`protocol diff`)
    patients: tuple[PatientMove, ...]


def _target_spec(pathway: str, version: str | None) -> str:
    """``VERSION`` or ``ID@VERSION`` of the same pathway; None: its newest version."""
    if version is None:
        return pathway
    named, at, label = version.partition("@")
    if at and named != pathway:
        raise EnrolmentRefused(
            f"a whole pathway moves to a version of itself ({pathway}@…); "
            f"move patients to {named} one by one"
        )
    return f"{pathway}@{label if at else version}"


async def plan_pathway_move(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    *,
    pathway: str,
    version: str | None,
    now: datetime,
) -> PathwayMove:
    """Who is followed on ``pathway`` on another version than ``version`` (None: its
    newest), what the protocol changes for them, and how their next check-in changes."""
    target, protocol = await catalogue.resolve(session, _target_spec(pathway, version), now)
    to = f"{target.protocol_id}@{target.version}"
    rows = (
        await session.execute(
            select(Patient, Episode, ProtocolVersion)
            .join(Episode, Episode.patient_id == Patient.id)
            .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
            .where(
                ProtocolVersion.protocol_id == pathway,
                ProtocolVersion.id != target.id,
                Episode.status.in_(OPEN_EPISODES),
            )
            .order_by(Patient.ref)
        )
    ).all()
    changes: dict[str, list[str]] = {}
    patients = []
    for patient, episode, old in rows:
        before = f"{old.protocol_id}@{old.version}"
        if before not in changes:
            changes[before] = diff_protocols(catalogue.of(old), protocol)
        ahead = await _scheduled(session, episode.id, patient.timezone, now)
        planned = _planned(protocol, episode, patient.timezone, now)
        patients.append(
            PatientMove(
                ref=patient.ref,
                procedure=episode.procedure,
                before=before,
                next_before=ahead[0] if ahead else None,
                next_after=planned[0] if planned else None,
                ahead_before=len(ahead),
                ahead_after=len(planned),
            )
        )
    return PathwayMove(pathway=pathway, to=to, changes=changes, patients=tuple(patients))


async def move_pathway(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    plan: PathwayMove,
    *,
    now: datetime,
    actor: str,
    actor_kind: str = "cli",
    origin: str = "cli",
) -> list[ProtocolChanged]:
    """Move the patients of ``plan`` (as confirmed) who are still followed on the pathway
    on another version; each move is audited on its own."""
    moved = []
    for patient in plan.patients:
        try:
            moved.append(
                await set_protocol(
                    session,
                    catalogue,
                    ref=patient.ref,
                    spec=plan.to,
                    now=now,
                    actor=actor,
                    actor_kind=actor_kind,
                    origin=origin,
                    only_from=plan.pathway,
                )
            )
        except EnrolmentRefused:
            continue  # moved, or ended, since the plan was shown: nothing to do
    return moved


async def _scheduled(
    session: AsyncSession, episode_id: int, zone: str, now: datetime
) -> list[NextCheckIn]:
    """The check-ins planned now, still to come (those ``set_protocol`` plans again)."""
    rows = await session.execute(
        select(CheckIn.pod, CheckIn.due_at)
        .where(
            CheckIn.episode_id == episode_id,
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at > now,
        )
        .order_by(CheckIn.due_at)
    )
    return [NextCheckIn(pod, due.astimezone(ZoneInfo(zone))) for pod, due in rows]


def _planned(protocol: Protocol, episode: Episode, zone: str, now: datetime) -> list[NextCheckIn]:
    """The check-ins the new version would plan from now on (as ``set_protocol`` does)."""
    return [
        NextCheckIn(p.pod, p.due_at.astimezone(ZoneInfo(zone)))
        for p in plan_check_ins(protocol, episode.surgery_date, episode.discharge_date, zone)
        if p.due_at > now
    ]
