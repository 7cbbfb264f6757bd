"""Scratch databases for a benchmark: each one new, migrated to head, and dropped after.

On PostgreSQL each gets a unique name on the server given; on SQLite it is a file in a
temporary folder. Nothing a benchmark writes outlives it.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import create_engine, normalise_database_url
from migrations.runner import upgrade_database

BACKENDS = ("sqlite", "postgresql")
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


class Databases:
    def __init__(self, postgres_server: str | None = None, folder: Path | None = None) -> None:
        """``postgres_server``: a URL of any database on the server (its name is replaced)."""
        self.postgres_server = normalise_database_url(postgres_server or DEFAULT_POSTGRES)
        self._folder = folder

    @asynccontextmanager
    async def fresh(self, backend: str, label: str) -> AsyncIterator[str]:
        """The URL of a new database with the schema at head; gone when the block ends."""
        name = f"eras_bench_{label}_{secrets.token_hex(4)}"
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(dir=self._folder) as folder:
                path = f"sqlite+aiosqlite:///{Path(folder) / name}.sqlite3"
                await upgrade_database(path)
                yield path
            return
        if backend != "postgresql":
            raise ValueError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")
        await self._admin(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(self.postgres_server).set(database=name)
            address = url.render_as_string(hide_password=False)
            await upgrade_database(address)
            yield address
        finally:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _admin(self, statement: str) -> None:
        engine = create_engine(self.postgres_server, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()
