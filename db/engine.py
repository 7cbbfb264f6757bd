"""Async engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///eras.sqlite3"
# Plain driver names an operator is likely to write, mapped to the async drivers we use.
_DRIVER_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalise_database_url(url: str) -> str:
    """Return the URL with an async driver, or raise ValueError saying what is wrong."""
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        # The URL may carry a password: say what is wrong without echoing it.
        raise ValueError(f"not a database URL (expected e.g. {DEFAULT_DATABASE_URL})")
    driver = _DRIVER_ALIASES.get(scheme.lower())
    if driver is None:
        raise ValueError(
            f"unsupported database {scheme!r}: use sqlite+aiosqlite:///FILE "
            "or postgresql+asyncpg://USER@HOST/DB"
        )
    return f"{driver}://{rest}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the dispatcher read while a handler writes; foreign keys are off by default
    # in SQLite; a busy wait beats "database is locked" under a burst (a large update can
    # hold the write lock for seconds).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for ``url``, with SQLite set up for a single busy process."""
    if is_sqlite(url):
        engine = _create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # No JIT: the bot's statements read a few rows by index, but an estimate over
    # jit_above_cost had PostgreSQL compile the idle tick's claim of closed windows anew
    # every tick from 250,000 patients on: 5 ms of the server's CPU for 9 pages read
    # (docs/BENCHMARKS.md, "A million enrolled").
    settings = kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})
    settings.setdefault("jit", "off")
    return _create_async_engine(url, **kwargs)


def session_factory(
    engine: AsyncEngine, info: dict[str, object] | None = None
) -> async_sessionmaker[AsyncSession]:
    """``info``: what every session carries for the code that uses it (``Session.info``)."""
    # Objects stay readable after commit: handlers render from what they just wrote.
    return async_sessionmaker(engine, expire_on_commit=False, info=info or {})
