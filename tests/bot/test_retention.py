"""Retention: patients whose follow-up ended long enough ago are erased, nobody else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.patients.enrolment.enrol import enrol
from bot.privacy.erasure import erase_patient
from bot.privacy.retention import due_for_erasure, purge
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from db.models import (
    Alert,
    AlertStatus,
    AuditEntry,
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    InboxUpdate,
    Patient,
    Team,
)
from tests.fixtures.journey import Journey

NOW = datetime(2027, 1, 1, 12, tzinfo=UTC)
KEEP = timedelta(days=90)
LONG_AGO = NOW - timedelta(days=200)


async def _enrolled(session: AsyncSession, ref: str, at: datetime) -> int:
    """A patient enrolled at ``at`` on the day of their surgery; returns the episode id."""
    if await session.scalar(select(Team.id)) is None:
        session.add(Team(name="Spine", chat_id=-1, timezone="UTC", created_at=at))
        await session.flush()
    enrolled = await enrol(
        session,
        ProtocolCatalogue(load_protocols(None)),
        protocol_id="spine-miss-lumbar",
        team_name="Spine",
        ref=ref,
        surgery_date=at.date(),
        now=at,
        actor="cli:test",
    )
    return enrolled.episode_id


async def _ended(
    session: AsyncSession, episode_id: int, status: EpisodeStatus, at: datetime
) -> None:
    await session.execute(
        update(Episode).where(Episode.id == episode_id).values(status=status, updated_at=at)
    )


async def _ran_its_course(session: AsyncSession, episode_id: int) -> None:
    """Every check-in missed in its own window: nothing is left to come."""
    await session.execute(
        update(CheckIn).where(CheckIn.episode_id == episode_id).values(status=CheckInStatus.MISSED)
    )


@pytest.fixture
async def cohort(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        withdrawn = await _enrolled(session, "A-withdrawn-long-ago", LONG_AGO)
        await _ended(session, withdrawn, EpisodeStatus.WITHDRAWN, LONG_AGO + timedelta(days=2))
        await _ran_its_course(session, await _enrolled(session, "B-schedule-over", LONG_AGO))
        await _enrolled(session, "C-still-followed", NOW - timedelta(days=10))
        recent = await _enrolled(session, "D-withdrawn-lately", LONG_AGO)
        await _ended(session, recent, EpisodeStatus.WITHDRAWN, NOW - timedelta(days=10))
        alerted = await _enrolled(session, "E-unresolved-alert", LONG_AGO)
        await _ran_its_course(session, alerted)
        session.add(
            Alert(
                episode_id=alerted,
                tier="amber",
                cause="non_response",
                findings=[],
                status=AlertStatus.OPEN,
                opened_at=LONG_AGO,
                updated_at=LONG_AGO,
                escalation=[],
            )
        )
        erased = await _enrolled(session, "F-erased-already", LONG_AGO)
        await _ended(session, erased, EpisodeStatus.DECLINED, LONG_AGO)
    async with sessions.begin() as session:
        await erase_patient(session, "F-erased-already", LONG_AGO, actor="cli:test")


@pytest.mark.usefixtures("cohort")
async def test_only_follow_ups_that_ended_before_the_cutoff_are_due(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        due = await due_for_erasure(session, NOW - KEEP)
    assert due == ["A-withdrawn-long-ago", "B-schedule-over"]


@pytest.mark.usefixtures("cohort")
async def test_a_purge_erases_who_is_due_and_audits_each(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dry = await purge(sessions, NOW, KEEP, actor="cli:test", dry_run=True)
    assert dry.erased == ["A-withdrawn-long-ago", "B-schedule-over"]
    async with sessions() as session:
        erased = await session.scalars(select(Patient.ref).where(Patient.erased_at.is_not(None)))
        assert list(erased) == ["F-erased-already"]  # a dry run changes nothing

    done = await purge(sessions, NOW, KEEP, actor="cli:test")
    assert done.erased == dry.erased
    async with sessions() as session:
        audited = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "patient.erase", AuditEntry.at == NOW)
        )
        assert {(e.patient_ref, e.detail["reason"]) for e in audited} == {
            ("A-withdrawn-long-ago", "retention"),
            ("B-schedule-over", "retention"),
        }
    assert (await purge(sessions, NOW, KEEP, actor="cli:test")).erased == []


async def test_old_raw_updates_are_emptied_whoever_sent_them(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    stranger = {"message": {"from": {"id": 7, "first_name": "Someone"}, "text": "hello"}}
    async with sessions.begin() as session:
        for update_id, processed in ((1, LONG_AGO), (2, NOW - timedelta(days=1)), (3, None)):
            session.add(
                InboxUpdate(
                    update_id=update_id,
                    received_at=LONG_AGO,
                    payload={"update_id": update_id, **stranger},
                    processed_at=processed,
                )
            )
    done = await purge(sessions, NOW, KEEP, actor="cli:test")
    assert done.raw_updates == 1
    async with sessions() as session:
        rows = await session.execute(select(InboxUpdate.update_id, InboxUpdate.payload))
        payloads = dict(rows.all())
    assert payloads[1] == {}
    assert payloads[2]["message"] == payloads[3]["message"] == stranger["message"]


async def test_the_running_bot_purges_daily_when_retention_is_set(journey: Journey) -> None:
    enrolment = await journey.enrol()
    async with journey.runtime.sessions.begin() as session:
        await _ended(session, enrolment.episode_id, EpisodeStatus.WITHDRAWN, journey.clock.now())
    journey.runtime.settings.retention_days = 30
    journey.clock.advance(timedelta(days=29))
    await journey.runtime.chores.purge_expired()
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(Patient.erased_at)) is None
    journey.clock.advance(timedelta(days=2))
    await journey.runtime.chores.purge_expired()
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(Patient.erased_at)) == journey.clock.now()
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "patient.erase"))
    assert entry is not None
    assert (entry.actor_ref, entry.origin) == ("system:retention", "scheduler")
