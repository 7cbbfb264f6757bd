"""Two nurses pressing Acknowledge together: exactly one wins, every time."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.actions import acknowledge
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from db.models import (
    Alert,
    AlertStatus,
    Episode,
    EpisodeStatus,
    Patient,
    Staff,
    StaffRole,
    Team,
    TeamMember,
)

NOW = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
CATALOGUE = ProtocolCatalogue(load_protocols(None))
ROUNDS = 100


async def _ward(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        team = Team(name="Spine", chat_id=None, timezone="UTC", created_at=NOW)
        patient = Patient(ref="P-1", language="en", timezone="UTC", created_at=NOW)
        version, _ = await CATALOGUE.current(session, "spine-miss-lumbar", NOW)
        session.add_all([team, patient])
        await session.flush()
        for telegram_id, name in ((101, "Ana"), (102, "Ben")):
            nurse = Staff(name=name, telegram_user_id=telegram_id, created_at=NOW)
            session.add(nurse)
            await session.flush()
            session.add(TeamMember(team_id=team.id, staff_id=nurse.id, role=StaffRole.NURSE))
        episode = Episode(
            patient_id=patient.id,
            team_id=team.id,
            protocol_version_id=version.id,
            surgery_date=date(2026, 3, 2),
            status=EpisodeStatus.ACTIVE,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(episode)
        await session.flush()
        return episode.id


async def _press(sessions: async_sessionmaker[AsyncSession], alert_id: int, who: int) -> bool:
    async with sessions.begin() as session:
        return (await acknowledge(session, CATALOGUE, alert_id, who, NOW)).granted


async def test_exactly_one_of_two_concurrent_acknowledgements_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    episode_id = await _ward(sessions)
    for _ in range(ROUNDS):
        async with sessions.begin() as session:
            alert = Alert(
                episode_id=episode_id,
                tier="red_urgent",
                cause="rule",
                findings=[],
                status=AlertStatus.OPEN,
                opened_at=NOW,
                updated_at=NOW,
                escalation=[],
            )
            session.add(alert)
        results = await asyncio.gather(
            _press(sessions, alert.id, 101), _press(sessions, alert.id, 102)
        )
        assert sorted(results) == [False, True]
