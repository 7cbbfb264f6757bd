"""Moving the role from the staff member to each of their memberships keeps every row: each
membership takes its member's role, and going down a member keeps their first team's."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from db.engine import create_engine
from db.types import UTCDateTime
from migrations.runner import downgrade_connection, upgrade_connection

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WHEN = UTCDateTime()


async def _ward_before(connection: AsyncConnection) -> None:
    """Two teams; a nurse in both, an admin in one (the schema of revision 0017)."""
    teams = sa.table(
        "teams", *map(sa.column, ("id", "name", "timezone")), sa.column("created_at", WHEN)
    )
    staff = sa.table(
        "staff", *map(sa.column, ("id", "name", "role", "active")), sa.column("created_at", WHEN)
    )
    members = sa.table("team_members", *map(sa.column, ("team_id", "staff_id", "on_call")))
    await connection.execute(
        teams.insert(),
        [
            {"id": 1, "name": "Spine", "timezone": "UTC", "created_at": NOW},
            {"id": 2, "name": "Cervical", "timezone": "UTC", "created_at": NOW},
        ],
    )
    await connection.execute(
        staff.insert(),
        [
            {"id": 1, "name": "Nora", "role": "nurse", "active": True, "created_at": NOW},
            {"id": 2, "name": "Ines", "role": "admin", "active": True, "created_at": NOW},
        ],
    )
    await connection.execute(
        members.insert(),
        [
            {"team_id": 1, "staff_id": 1, "on_call": True},
            {"team_id": 2, "staff_id": 1, "on_call": False},
            {"team_id": 1, "staff_id": 2, "on_call": False},
        ],
    )


async def _rows(connection: AsyncConnection, query: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in (await connection.execute(sa.text(query))).all()]


async def test_every_membership_takes_its_members_role_and_back(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await upgrade_connection(connection, "0017")
            await _ward_before(connection)
        async with engine.begin() as connection:
            await upgrade_connection(connection, "0019")
        async with engine.connect() as connection:
            assert await _rows(
                connection,
                "SELECT team_id, staff_id, role FROM team_members ORDER BY staff_id, team_id",
            ) == [(1, 1, "nurse"), (2, 1, "nurse"), (1, 2, "admin")]
            assert await _rows(
                connection, "SELECT emergency_number, phone FROM teams ORDER BY id"
            ) == [(None, None), (None, None)]
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE team_members SET role = 'admin' WHERE team_id = 2 AND staff_id = 1")
            )
        async with engine.begin() as connection:
            await downgrade_connection(connection, "0017")
        async with engine.connect() as connection:
            assert await _rows(connection, "SELECT id, role FROM staff ORDER BY id") == [
                (1, "nurse"),
                (2, "admin"),
            ]
    finally:
        await engine.dispose()
