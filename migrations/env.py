"""Alembic environment: async engines, and batch mode on SQLite (it cannot ALTER much)."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from db.engine import DEFAULT_DATABASE_URL, create_engine, normalise_database_url
from db.models import Base
from migrations.runner import on_database

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode changes a table by copying it, dropping the original and renaming the
        # copy; with foreign keys on, dropping a table that rows refer to fails. SQLite's own
        # recipe: foreign keys off for the change (only possible before a transaction
        # begins, so here), then every reference checked. The engine that migrates is
        # thrown away afterwards, and the program's own engines turn them on again.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        include_object=on_database(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migrating left rows with broken references: {broken[:5]}")


async def run_async_migrations(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:  # handed in by code already inside an event loop
        run_migrations(connection)
        return
    # `eras db` passes the URL; a developer running `alembic` by hand uses the environment.
    url = context.config.get_main_option("sqlalchemy.url") or normalise_database_url(
        os.environ.get("ERAS_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    asyncio.run(run_async_migrations(url))


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
