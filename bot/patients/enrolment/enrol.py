"""Enrolment: a surgical episode, its check-in schedule as rows, and a one-time link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import tokens
from bot.protocols.catalogue import ProtocolCatalogue
from db.audit import append
from db.models import (
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    Patient,
    Team,
    TokenPurpose,
)
from flows import Protocol, plan_check_ins

# Episodes that still follow a patient: a second enrolment while one is open is refused.
OPEN_EPISODES = (
    EpisodeStatus.INVITED,
    EpisodeStatus.ACTIVE,
    EpisodeStatus.PAUSED,
    EpisodeStatus.ON_HOLD,
)


class EnrolmentRefused(Exception):
    """The enrolment cannot be made as asked; the message says why and ``field`` names
    what was given wrong (a form shows the message beside it)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# A surgery date far from today is most likely a typing error (2031 for 2021, a month and a
# day swapped): it would plan a follow-up that never starts or is over at once. The window is
# the ward's usual one, not a clinical rule (basis: local-default); a date outside it is taken
# only when the person confirms it.
DAYS_BACK = 90  # a patient enrolled after discharge, at the latest at the first clinic visit
DAYS_AHEAD = 60  # enrolled at the pre-operative visit, at the earliest


class DateUnlikely(EnrolmentRefused):
    """A surgery date outside the usual window: taken only when confirmed."""


def check_dates(surgery: date, discharge: date | None, *, today: date, confirmed: bool) -> None:
    """Raises EnrolmentRefused (DateUnlikely when confirming would do) naming the date."""
    if discharge is not None and discharge < surgery:
        raise EnrolmentRefused(
            f"the discharge date is before the surgery date ({discharge} < {surgery})",
            "discharge_date",
        )
    if confirmed:
        return
    days = (surgery - today).days
    if days < -DAYS_BACK:
        raise DateUnlikely(
            f"the surgery date {surgery} is {-days} days ago, more than {DAYS_BACK}: "
            "is it mistyped?",
            "surgery_date",
        )
    if days > DAYS_AHEAD:
        raise DateUnlikely(
            f"the surgery date {surgery} is {days} days ahead, more than {DAYS_AHEAD}: "
            "is it mistyped?",
            "surgery_date",
        )


REF_LIMIT = 64


def ref_problem(ref: str) -> str | None:
    """What is wrong with a reference as given, or None."""
    if not ref:
        return "the reference is empty"
    if len(ref) > REF_LIMIT:
        return f"a reference is at most {REF_LIMIT} characters"
    if ref[:1] in ("=", "+", "@"):
        # Lists of references travel through spreadsheets, which would run it.
        return "a reference may not start with =, + or @ (a spreadsheet formula)"
    return None


@dataclass(frozen=True)
class Enrolment:
    ref: str
    team: str
    protocol_id: str
    protocol_version: str
    episode_id: int
    token: str
    token_expires_at: datetime
    check_ins: int
    # The team's own emergency number (None: the site's default) and phone, for the sheet.
    team_emergency_number: str | None = None
    team_phone: str | None = None

    def emergency_number(self, default: str) -> str:
        return self.team_emergency_number or default


async def open_episode(session: AsyncSession, ref: str) -> tuple[Patient, Episode]:
    """The patient's follow-up in progress, or a refusal that says why there is none."""
    patient = await session.scalar(select(Patient).where(Patient.ref == ref))
    if patient is None:
        raise EnrolmentRefused(f"no patient with reference {ref!r}")
    episode = await session.scalar(
        select(Episode)
        .where(Episode.patient_id == patient.id, Episode.status.in_(OPEN_EPISODES))
        .order_by(Episode.id.desc())
    )
    if episode is None:
        raise EnrolmentRefused(f"patient {ref} has no follow-up in progress")
    return patient, episode


async def enrol(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    *,
    protocol_id: str,
    team_name: str,
    ref: str,
    surgery_date: date,
    now: datetime,
    actor: str,
    name: str | None = None,
    time_zone: str | None = None,
    language: str | None = None,
    discharge_date: date | None = None,
    procedure: str | None = None,
    token_lifetime: timedelta = tokens.DEFAULT_LIFETIME,
    force: bool = False,
    actor_kind: str = "cli",
    origin: str = "cli",
) -> Enrolment:
    """``force``: take a surgery date outside the usual window (``check_dates``)."""
    problem = ref_problem(ref)
    if problem is not None:
        raise EnrolmentRefused(problem, "ref")
    team = await session.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        raise EnrolmentRefused(f"no team named {team_name!r} (see `eras team list`)", "team")
    version, protocol = await catalogue.resolve(session, protocol_id, now)
    check_dates(surgery_date, discharge_date, today=now.date(), confirmed=force)
    language = language or protocol.languages[0]
    if language not in protocol.languages:
        raise EnrolmentRefused(
            f"protocol {protocol.id!r} speaks {', '.join(protocol.languages)}, not {language!r}",
            "language",
        )
    zone = time_zone or team.timezone

    patient = await session.scalar(select(Patient).where(Patient.ref == ref))
    if patient is None:
        patient = Patient(ref=ref, created_at=now, language=language, timezone=zone)
        session.add(patient)
    elif patient.erased_at is not None:
        raise EnrolmentRefused(f"patient {ref} was erased: enrol them under a new reference", "ref")
    else:
        in_progress = await session.scalar(
            select(Episode.id).where(
                Episode.patient_id == patient.id, Episode.status.in_(OPEN_EPISODES)
            )
        )
        if in_progress is not None:
            raise EnrolmentRefused(f"patient {ref} already has a follow-up in progress", "ref")
        patient.language, patient.timezone = language, zone
    if name is not None:
        patient.display_name = name
    await session.flush()

    episode = Episode(
        patient_id=patient.id,
        team_id=team.id,
        protocol_version_id=version.id,
        # As given, never guessed: the pathway's first procedure was a discectomy for
        # every patient enrolled without one, fusions included.
        procedure=(procedure or "").strip()[:200] or None,
        surgery_date=surgery_date,
        discharge_date=discharge_date,
        status=EpisodeStatus.INVITED,
        created_at=now,
        updated_at=now,
    )
    session.add(episode)
    await session.flush()

    planned = materialise(session, episode, version.id, protocol, zone, now)
    token = await tokens.issue(
        session, TokenPurpose.PATIENT, now, episode_id=episode.id, lifetime=token_lifetime
    )
    await append(
        session,
        at=now,
        actor_kind=actor_kind,
        actor_ref=actor,
        action="patient.enrol",
        origin=origin,
        patient_ref=ref,
        detail={"protocol": f"{protocol.id}@{version.version}", "team": team.name},
    )
    return Enrolment(
        ref=ref,
        team=team.name,
        protocol_id=protocol.id,
        protocol_version=version.version,
        episode_id=episode.id,
        token=token,
        token_expires_at=now + token_lifetime,
        check_ins=planned,
        team_emergency_number=team.emergency_number,
        team_phone=team.phone,
    )


def materialise(
    session: AsyncSession,
    episode: Episode,
    version_id: int,
    protocol: Protocol,
    time_zone: str,
    now: datetime,
    *,
    only_due_after_now: bool = False,
) -> int:
    """Add the episode's check-ins still ahead as rows; returns how many.

    Check-ins whose window closed before now were never the bot's to send; with
    ``only_due_after_now``, one whose window is open now is left to the row that has it.
    """
    planned = [
        p
        for p in plan_check_ins(protocol, episode.surgery_date, episode.discharge_date, time_zone)
        if (p.due_at if only_due_after_now else p.missed_at) > now
    ]
    session.add_all(
        CheckIn(
            episode_id=episode.id,
            protocol_version_id=version_id,
            pod=p.pod,
            kind=p.kind,
            status=CheckInStatus.SCHEDULED,
            due_at=p.due_at,
            remind_at=p.remind_at,
            missed_at=p.missed_at,
        )
        for p in planned
    )
    return len(planned)


async def replan(
    session: AsyncSession,
    episode: Episode,
    version_id: int,
    protocol: Protocol,
    time_zone: str,
    now: datetime,
) -> int:
    """The check-ins still ahead follow new dates, a new zone or version: those not yet due
    are planned again; what was sent, answered or missed stays as it was."""
    await session.execute(
        update(CheckIn)
        .where(
            CheckIn.episode_id == episode.id,
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at > now,
        )
        .values(status=CheckInStatus.CANCELLED)
    )
    planned = materialise(
        session, episode, version_id, protocol, time_zone, now, only_due_after_now=True
    )
    await session.flush()
    return planned
