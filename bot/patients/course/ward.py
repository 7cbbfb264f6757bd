"""The ward's actions from the patient's page, which names the episode: the same use cases
as ``eras patient pause|resume|withdraw|link``, reached by the episode's id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.patients.enrolment.enrol import EnrolmentRefused
from bot.patients.enrolment.link import Reissued, reissue_link
from bot.protocols.catalogue import ProtocolCatalogue
from db.models import Episode, Patient, ProtocolVersion, Team
from flows import Protocol


async def ref_of_episode(session: AsyncSession, episode_id: int) -> str:
    """The patient's reference, for the use cases named by it; refused once erased."""
    episode = await session.get(Episode, episode_id)
    patient = await session.get(Patient, episode.patient_id) if episode else None
    if patient is None or patient.erased_at is not None:
        raise EnrolmentRefused("no such patient")
    return patient.ref


@dataclass(frozen=True)
class ReissuedSheet:
    """A new link and what the printable sheet says beside it."""

    link: Reissued
    language: str
    team: str
    team_phone: str | None
    team_emergency_number: str | None
    surgery_date: date
    discharge_date: date | None
    procedure: str | None
    protocol: Protocol
    time_zone: str


async def reissue_by_episode(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    episode_id: int,
    *,
    now: datetime,
    actor: str,
    actor_kind: str,
    origin: str,
) -> ReissuedSheet:
    ref = await ref_of_episode(session, episode_id)
    done = await reissue_link(
        session, ref=ref, now=now, actor=actor, actor_kind=actor_kind, origin=origin
    )
    episode = await session.get_one(Episode, episode_id)
    patient = await session.get_one(Patient, episode.patient_id)
    team = await session.get_one(Team, episode.team_id)
    version = await session.get_one(ProtocolVersion, episode.protocol_version_id)
    return ReissuedSheet(
        link=done,
        language=patient.language,
        team=team.name,
        team_phone=team.phone,
        team_emergency_number=team.emergency_number,
        surgery_date=episode.surgery_date,
        discharge_date=episode.discharge_date,
        procedure=episode.procedure,
        protocol=catalogue.of(version),
        time_zone=patient.timezone,
    )
