"""Process-wide locks held in PostgreSQL, for work that only one process may do at a time.

Telegram hands updates to one long-polling client; a second poller would steal them batch
by batch (409 Conflict for one of the two). On PostgreSQL a session advisory lock lets the
second process wait, saying so, and take over when the first one stops or dies (the lock
goes with its connection). SQLite is one file on one machine: one process is the deployment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Any constant will do: it names the lock that polling processes share.
POLLING_LOCK = 7_143_920_212


@asynccontextmanager
async def exclusive(
    engine: AsyncEngine,
    key: int,
    on_wait: Callable[[], None],
    retry_seconds: float = 5.0,
) -> AsyncIterator[None]:
    """Hold the advisory lock ``key`` for the duration (waiting for it, calling ``on_wait``
    once); a no-op on SQLite."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as connection:
        told = False
        while not await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
            if not told:
                on_wait()
                told = True
            await connection.commit()  # no transaction left open while waiting
            await asyncio.sleep(retry_seconds)
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await connection.commit()
