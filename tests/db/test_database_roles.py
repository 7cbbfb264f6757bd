"""On PostgreSQL the application runs as ``eras_app`` (deploy/postgres/roles.sql): it
appends to the audit log but can neither change nor cut it, nor write its checkpoints."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from db.audit import append
from db.engine import create_engine
from migrations.runner import upgrade_database
from tests.fixtures.databases import _admin, _database_url, require_postgres

ROLES_SQL = Path(__file__).parents[2] / "deploy" / "postgres" / "roles.sql"
AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ROLE_LOCK = 0x45524153  # an advisory lock's key: whoever holds it may create eras_app


async def _run_roles_sql(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        await raw.driver_connection.execute(ROLES_SQL.read_text())  # type: ignore[union-attr]


@pytest.fixture(params=["before the migrations", "after the migrations"])
async def owner(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """A new database migrated by its owner, the roles file run before or after."""
    server = require_postgres()
    # Roles belong to the server, not to one database: tests on other workers that create
    # and drop eras_app wait for this one to be done with it.
    lock = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with lock.connect() as holder:  # the lock goes with the connection
            await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ROLE_LOCK})
            async for engine in _owned_database(server, request.param):
                yield engine
    finally:
        await lock.dispose()


async def _owned_database(server: str, order: str) -> AsyncIterator[AsyncEngine]:
    name = f"eras_test_{secrets.token_hex(6)}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    url = _database_url(server, name)
    engine = create_engine(url)
    try:
        if order == "before the migrations":
            await _run_roles_sql(engine)
            await upgrade_database(url)
        else:
            await upgrade_database(url)
            await _run_roles_sql(engine)
        async with engine.begin() as connection:
            await append(
                AsyncSession(bind=connection),
                at=AT,
                actor_kind="cli",
                actor_ref="cli:admin",
                action="team.add",
                origin="cli",
            )
        yield engine
    finally:
        await engine.dispose()
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _admin(server, "DROP ROLE IF EXISTS eras_app")


async def _as_app(connection: AsyncConnection) -> None:
    await connection.execute(text("SET ROLE eras_app"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor_ref = 'cli:someone-else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "INSERT INTO audit_checkpoints (at, row_count, last_hash) VALUES (now(), 0, 'x')",
        "UPDATE audit_checkpoints SET row_count = 0",
        "DELETE FROM audit_checkpoints",
        "TRUNCATE audit_checkpoints",
    ],
)
async def test_the_application_cannot_change_the_audit_trail(
    owner: AsyncEngine, statement: str
) -> None:
    with pytest.raises(DBAPIError, match="permission denied for table audit_"):
        async with owner.begin() as connection:
            await _as_app(connection)
            await connection.execute(text(statement))


async def test_the_application_appends_and_checkpoints(owner: AsyncEngine) -> None:
    async with owner.begin() as connection:
        await _as_app(connection)
        session = AsyncSession(bind=connection)
        await append(
            session, at=AT, actor_kind="staff", actor_ref="staff:1", action="a", origin="x"
        )
        counted = await connection.scalar(text("SELECT audit_checkpoint(:at)"), {"at": AT})
        assert counted == 2
        again = await connection.scalar(text("SELECT audit_checkpoint(:at)"), {"at": AT})
        assert again is None  # the head has not moved
        # Its ordinary tables it reads and writes as before.
        await connection.execute(text("DELETE FROM inbox_updates"))
    async with owner.connect() as connection:
        head = await connection.scalar(text("SELECT hash FROM audit_log ORDER BY id DESC"))
        checkpoint = (
            await connection.execute(text("SELECT row_count, last_hash FROM audit_checkpoints"))
        ).one()
    assert tuple(checkpoint) == (2, head)
