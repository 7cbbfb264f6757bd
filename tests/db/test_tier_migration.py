"""Tiers are checked by the database: the migration keeps the rows it finds, and a value
that is not a tier is refused from then on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

from db.engine import create_engine
from db.types import UTCDateTime
from migrations.runner import downgrade_connection, upgrade_connection

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WHEN = UTCDateTime()


def _table(name: str, *columns: str | sa.ColumnClause[object]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) if isinstance(c, str) else c for c in columns))


async def _one_patient_with_an_alert(connection: AsyncConnection) -> None:
    """Rows in every table that holds a tier, and rows that refer to them."""
    inserts = [
        (
            _table("protocol_versions", "id", "protocol_id", "version", "content_hash",
                   "source_name", "content", sa.column("loaded_at", WHEN)),
            {"id": 1, "protocol_id": "p", "version": "1", "content_hash": "h",
             "source_name": "p.yaml", "content": "", "loaded_at": NOW},
        ),
        (
            _table("teams", "id", "name", "timezone", sa.column("created_at", WHEN)),
            {"id": 1, "name": "spine", "timezone": "UTC", "created_at": NOW},
        ),
        (
            _table("patients", "id", "ref", "language", "timezone", sa.column("created_at", WHEN)),
            {"id": 1, "ref": "P-1", "language": "en", "timezone": "UTC", "created_at": NOW},
        ),
        (
            _table("episodes", "id", "patient_id", "team_id", "protocol_version_id",
                   sa.column("surgery_date", sa.Date()), "status",
                   sa.column("created_at", WHEN), sa.column("updated_at", WHEN)),
            {"id": 1, "patient_id": 1, "team_id": 1, "protocol_version_id": 1,
             "surgery_date": date(2026, 11, 20), "status": "active", "created_at": NOW,
             "updated_at": NOW},
        ),
        (
            _table("checkins", "id", "episode_id", "protocol_version_id", "pod", "kind",
                   "status", sa.column("due_at", WHEN), sa.column("missed_at", WHEN),
                   "sent_late", "tier"),
            {"id": 1, "episode_id": 1, "protocol_version_id": 1, "pod": 5,
             "kind": "scheduled", "status": "completed", "due_at": NOW, "missed_at": NOW,
             "sent_late": False, "tier": "red_urgent"},
        ),
        (
            _table("answers", "id", "checkin_id", "protocol_version_id", "item_id",
                   sa.column("value", sa.JSON()), sa.column("answered_at", WHEN), "late"),
            {"id": 1, "checkin_id": 1, "protocol_version_id": 1, "item_id": "temperature",
             "value": 38.6, "answered_at": NOW, "late": False},
        ),
        (
            _table("alerts", "id", "episode_id", "checkin_id", "tier", "cause",
                   sa.column("findings", sa.JSON()), "status", sa.column("opened_at", WHEN),
                   sa.column("updated_at", WHEN), sa.column("escalation", sa.JSON()),
                   "escalation_step"),
            {"id": 1, "episode_id": 1, "checkin_id": 1, "tier": "red_urgent", "cause": "rule",
             "findings": [], "status": "open", "opened_at": NOW, "updated_at": NOW,
             "escalation": [], "escalation_step": 0},
        ),
        (
            _table("alert_events", "id", "alert_id", sa.column("at", WHEN), "kind",
                   sa.column("detail", sa.JSON())),
            {"id": 1, "alert_id": 1, "at": NOW, "kind": "opened", "detail": {}},
        ),
        (
            _table("escalation_steps", "id", "team_id", "tier", "position", "after_seconds",
                   "notify", "daytime"),
            {"id": 1, "team_id": 1, "tier": "amber", "position": 0, "after_seconds": 0,
             "notify": "team_chat", "daytime": False},
        ),
    ]  # fmt: skip
    for table, row in inserts:
        await connection.execute(sa.insert(table).values(row))


async def _tiers(connection: AsyncConnection) -> list[object]:
    found = []
    for table in ("alerts", "checkins", "escalation_steps"):
        found.append(await connection.scalar(sa.text(f"SELECT tier FROM {table}")))
    found.append(await connection.scalar(sa.text("SELECT count(*) FROM alert_events")))
    found.append(await connection.scalar(sa.text("SELECT count(*) FROM answers")))
    return found


async def test_the_migration_keeps_every_row_and_tier_both_ways(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await upgrade_connection(connection, "0009")
            await _one_patient_with_an_alert(connection)
        async with engine.begin() as connection:
            await upgrade_connection(connection)
        async with engine.connect() as connection:
            assert await _tiers(connection) == ["red_urgent", "red_urgent", "amber", 1, 1]
        async with engine.begin() as connection:
            await downgrade_connection(connection, "0009")
        async with engine.connect() as connection:
            assert await _tiers(connection) == ["red_urgent", "red_urgent", "amber", 1, 1]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("table", ["alerts", "checkins", "escalation_steps"])
async def test_a_tier_that_is_not_a_tier_is_refused(empty_database: str, table: str) -> None:
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await upgrade_connection(connection, "0009")
            await _one_patient_with_an_alert(connection)
        async with engine.begin() as connection:
            await upgrade_connection(connection)
        with pytest.raises((IntegrityError, StatementError)):
            async with engine.begin() as connection:
                await connection.execute(sa.text(f"UPDATE {table} SET tier = 'purple'"))
    finally:
        await engine.dispose()
