"""The migrations build exactly the models' schema, and can be walked down and up again."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from db.engine import create_engine
from db.models import Base
from migrations.runner import (
    alembic_config,
    downgrade_connection,
    on_database,
    upgrade_connection,
)


def _schema_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": on_database(connection.dialect.name)},
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_head_builds_exactly_the_models(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await upgrade_connection(connection)
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema_differences) == []
            tables = await connection.run_sync(_tables)
    finally:
        await engine.dispose()
    assert set(Base.metadata.tables) <= tables


async def test_upgrade_downgrade_upgrade_round_trip(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await upgrade_connection(connection)
        async with engine.begin() as connection:
            await downgrade_connection(connection, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}
        async with engine.begin() as connection:
            await upgrade_connection(connection)
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema_differences) == []
    finally:
        await engine.dispose()


def _eras(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ERAS_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True
    )


def test_eras_db_commands_walk_the_schema(empty_database: str) -> None:
    assert _eras(empty_database, "db", "current").stdout.strip() == "(empty database)"
    upgraded = _eras(empty_database, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    head = _eras(empty_database, "db", "current").stdout.strip()
    assert head.startswith(ScriptDirectory.from_config(alembic_config()).get_current_head() or "?")
    downgraded = _eras(empty_database, "db", "downgrade", "base")
    assert downgraded.returncode == 0, downgraded.stderr
    assert _eras(empty_database, "db", "current").stdout.strip() == "(empty database)"
