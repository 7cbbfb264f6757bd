"""The dispatcher works through what is due in batches, several check-ins a transaction;
one check-in that cannot be processed stops neither its batch nor the tick."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.protocols import load_protocols
from bot.services import dispatcher as dispatching
from bot.services.catalogue import ProtocolCatalogue
from bot.services.checkins import Site
from bot.services.dispatcher import Dispatcher
from bot.services.enrolment import enrol
from db.models import (
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    OutboxMessage,
    Patient,
    Team,
)

SURGERY = date(2026, 3, 2)
ENROLLED = datetime(2026, 3, 1, 12, tzinfo=UTC)
POD1_MORNING = datetime(2026, 3, 3, 9, 5, tzinfo=UTC)  # 09:00 in London, and five minutes
PATIENTS = 7

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def catalogue() -> ProtocolCatalogue:
    return ProtocolCatalogue(load_protocols(None))


async def _cohort(sessions: Sessions, catalogue: ProtocolCatalogue) -> None:
    """Linked, consented patients whose POD 1 check-in is due at 09:00 London time."""
    async with sessions.begin() as session:
        session.add(Team(name="Spine", chat_id=-1, timezone="Europe/London", created_at=ENROLLED))
        await session.flush()
        for n in range(PATIENTS):
            enrolled = await enrol(
                session,
                catalogue,
                protocol_id="spine-miss-lumbar",
                team_name="Spine",
                ref=f"P-{n:03}",
                surgery_date=SURGERY,
                time_zone="Europe/London",
                now=ENROLLED,
                actor="cli:test",
            )
            episode = await session.get_one(Episode, enrolled.episode_id)
            episode.status = EpisodeStatus.ACTIVE
            patient = await session.get_one(Patient, episode.patient_id)
            patient.telegram_chat_id = patient.telegram_user_id = 1_000 + n


def _dispatcher(sessions: Sessions, catalogue: ProtocolCatalogue, **sizes: Any) -> Dispatcher:
    return Dispatcher(sessions, catalogue, Site("112"), FakeClock(POD1_MORNING), "test", **sizes)


async def _pod1(sessions: Sessions) -> list[CheckIn]:
    async with sessions() as session:
        rows = await session.scalars(select(CheckIn).where(CheckIn.pod == 1).order_by(CheckIn.id))
        return list(rows)


async def test_one_tick_sends_everything_due_batch_after_batch(
    sessions: Sessions, catalogue: ProtocolCatalogue
) -> None:
    await _cohort(sessions, catalogue)

    report = await _dispatcher(sessions, catalogue, batch=3, chunk=2).tick()

    assert report.sent == PATIENTS
    rows = await _pod1(sessions)
    assert [row.status for row in rows] == [CheckInStatus.SENT] * PATIENTS
    assert {row.lease_owner for row in rows} == {None}


async def test_a_check_in_that_fails_stops_neither_its_batch_nor_the_tick(
    sessions: Sessions,
    catalogue: ProtocolCatalogue,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _cohort(sessions, catalogue)
    broken = (await _pod1(sessions))[1].id
    begin = dispatching.checkins.begin

    async def fails_for_one(chat: Any, catalogue: Any, site: Any, row: CheckIn) -> None:
        if row.id == broken:
            raise RuntimeError("cannot render")
        await begin(chat, catalogue, site, row)

    monkeypatch.setattr(dispatching.checkins, "begin", fails_for_one)

    with caplog.at_level(logging.ERROR):
        report = await _dispatcher(sessions, catalogue, batch=3, chunk=3).tick()

    assert report.sent == PATIENTS - 1
    statuses = {row.id: row.status for row in await _pod1(sessions)}
    assert statuses.pop(broken) is CheckInStatus.SCHEDULED
    assert set(statuses.values()) == {CheckInStatus.SENT}
    assert f"check-in {broken} could not be processed" in caplog.text
    async with sessions() as session:
        intros = await session.scalars(
            select(OutboxMessage.checkin_id).where(OutboxMessage.purpose == "checkin_intro")
        )
        assert sorted(intros) == sorted(statuses)  # each once, none for the broken one
