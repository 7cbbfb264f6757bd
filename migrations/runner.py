"""Alembic, driven from the program (``eras db …``) and from tests.

The migration scripts ship inside the package, so an installed program can migrate its
database without a checkout or an ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

SCRIPT_LOCATION = str(Path(__file__).parent)  # env.py and versions/, beside this file


def on_database(dialect: str) -> Any:
    """Alembic's ``include_object`` when comparing the models with a database of ``dialect``:
    an index the models give another database only (``ddl_if``) is not missing here."""

    def include(item: Any, _name: Any, _type: str, reflected: bool, _other: Any) -> bool:
        only_on = getattr(getattr(item, "_ddl_if", None), "dialect", None)
        return reflected or only_on in (None, dialect)

    return include


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """A config for the shipped scripts; with ``connection``, env.py uses it as it is."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        # ConfigParser interpolation would read a % in a password as a directive.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "-1") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The revision this program's tables are: what ``eras db upgrade`` brings a database to."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: str) -> str | None:
    import asyncio

    from db.engine import create_engine

    async def read() -> str | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


async def upgrade_connection(connection: AsyncConnection, revision: str = "head") -> None:
    """Upgrade through an open async connection (for code already inside an event loop)."""
    await connection.run_sync(
        lambda sync: command.upgrade(alembic_config(connection=sync), revision)
    )


async def downgrade_connection(connection: AsyncConnection, revision: str) -> None:
    await connection.run_sync(
        lambda sync: command.downgrade(alembic_config(connection=sync), revision)
    )


async def upgrade_database(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` from code already inside an event loop."""
    from db.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await upgrade_connection(connection, revision)
    finally:
        await engine.dispose()
