"""The schema's guarantees hold the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import column, insert, select, table, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.engine import create_engine
from db.models import (
    Alert,
    Episode,
    EpisodeStatus,
    InboxUpdate,
    Patient,
    ProtocolVersion,
    Team,
)
from db.types import JSONType, UTCDateTime
from flows import Finding, Tier

NOW = datetime(2026, 3, 29, 7, 30, tzinfo=UTC)


def _patient(ref: str = "P-001") -> Patient:
    return Patient(ref=ref, language="en", timezone="Europe/Madrid", created_at=NOW)


async def test_instants_come_back_as_aware_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    madrid_summer = timezone(timedelta(hours=2))
    async with sessions.begin() as session:
        session.add(InboxUpdate(update_id=1, received_at=NOW.astimezone(madrid_summer), payload={}))
    async with sessions() as session:
        stored = await session.scalar(select(InboxUpdate.received_at))
    assert stored == NOW
    assert stored is not None and stored.utcoffset() == timedelta(0)


async def test_a_naive_instant_is_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with sessions.begin() as session:
            session.add(InboxUpdate(update_id=1, received_at=datetime(2026, 1, 1), payload={}))


async def test_json_payloads_round_trip(sessions: async_sessionmaker[AsyncSession]) -> None:
    payload = {"message": {"text": "dolor 7/10", "entities": [{"offset": 0}]}, "n": 1.5}
    async with sessions.begin() as session:
        session.add(InboxUpdate(update_id=42, received_at=NOW, payload=payload))
    async with sessions() as session:
        assert await session.scalar(select(InboxUpdate.payload)) == payload


async def test_the_same_update_cannot_be_stored_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        session.add(InboxUpdate(update_id=7, received_at=NOW, payload={}))
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(InboxUpdate(update_id=7, received_at=NOW, payload={"again": True}))


async def test_foreign_keys_are_enforced(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(
                Episode(
                    patient_id=999,
                    team_id=999,
                    protocol_version_id=999,
                    surgery_date=date(2026, 3, 27),
                    status=EpisodeStatus.INVITED,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


async def test_an_episode_links_patient_team_and_protocol_version(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await _episode(session, EpisodeStatus.INVITED)
    async with sessions() as session:
        episode = await session.scalar(select(Episode))
        assert episode is not None
        assert episode.status is EpisodeStatus.INVITED
        assert episode.surgery_date == date(2026, 3, 27)


async def _episode(session: AsyncSession, status: EpisodeStatus = EpisodeStatus.ACTIVE) -> Episode:
    patient = _patient()
    team = Team(name="Spine ward", chat_id=-100123, timezone="Europe/Madrid", created_at=NOW)
    version = ProtocolVersion(
        protocol_id="spine-miss-lumbar",
        version="1",
        content_hash="0" * 64,
        source_name="spine-miss-lumbar.yaml",
        content="id: spine-miss-lumbar",
        loaded_at=NOW,
    )
    session.add_all([patient, team, version])
    await session.flush()
    episode = Episode(
        patient_id=patient.id,
        team_id=team.id,
        protocol_version_id=version.id,
        surgery_date=date(2026, 3, 27),
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(episode)
    await session.flush()
    return episode


async def test_an_alerts_findings_come_back_as_findings_also_those_stored_as_plain_json(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    typed = Finding(
        "fever_high",
        Tier.RED_URGENT,
        ("temperature",),
        {"en": "Fever"},
        {"temperature": 38.7},
        pod=3,
        checkin_id=None,
    )
    # As the bot wrote them before findings were typed: a follow-up's had no answers.
    stored_before = [
        {"rule": "declined", "tier": "amber", "items": [], "reason": {"en": "Declined"}},
        {
            "rule": "fever_high",
            "tier": "red_urgent",
            "items": ["temperature"],
            "reason": {"en": "Fever"},
            "answers": {"temperature": 38.7},
            "pod": 3,
        },
    ]
    raw = table(
        "alerts",
        *(column(name) for name in ("episode_id", "tier", "cause", "status", "escalation_step")),
        column("findings", JSONType),
        column("escalation", JSONType),
        column("opened_at", UTCDateTime()),
        column("updated_at", UTCDateTime()),
    )
    async with sessions.begin() as session:
        episode = await _episode(session)
        await session.execute(
            insert(raw).values(
                episode_id=episode.id,
                tier="red_urgent",
                cause="rule",
                status="open",
                escalation_step=0,
                findings=stored_before,
                escalation=[],
                opened_at=NOW,
                updated_at=NOW,
            )
        )
    async with sessions() as session:
        findings = await session.scalar(select(Alert.findings))
    assert findings == (Finding("declined", Tier.AMBER, reason={"en": "Declined"}), typed)


async def test_a_protocol_version_label_cannot_be_reused_for_other_content(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    def version(content_hash: str) -> ProtocolVersion:
        return ProtocolVersion(
            protocol_id="spine-miss-lumbar",
            version="1",
            content_hash=content_hash,
            source_name="f.yaml",
            content="",
            loaded_at=NOW,
        )

    async with sessions.begin() as session:
        session.add(version("a" * 64))
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(version("b" * 64))


async def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: object) -> None:
    engine: AsyncEngine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/pragmas.sqlite3")
    try:
        async with engine.connect() as connection:
            journal = await connection.scalar(text("PRAGMA journal_mode"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
    finally:
        await engine.dispose()
    assert (journal, foreign_keys) == ("wal", 1)
