"""An update marked processed in the transaction of its effect: the mark that keeps a
redelivered update (or one processed again after a crash) to one effect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import InboxUpdate

# The updates whose mark this process committed while the inbox handed one over: the
# fallback handler and the inbox know it without reading the mark back (a transaction each).
_committed: ContextVar[set[int] | None] = ContextVar("committed_marks", default=None)


@contextmanager
def noting_marks() -> Iterator[set[int]]:
    """While the block runs, the ids of the updates whose mark committed are noted here."""
    marks: set[int] = set()
    token = _committed.set(marks)
    try:
        yield marks
    finally:
        _committed.reset(token)


def mark_committed(update_id: int) -> None:
    """The handler's transaction, with ``take_update``'s mark, committed."""
    marks = _committed.get()
    if marks is not None:
        marks.add(update_id)


def committed_here(update_id: int) -> bool:
    """True if this process committed the update's mark while the inbox handed it over
    (False says nothing: the mark may still be there, from another process or before)."""
    marks = _committed.get()
    return marks is not None and update_id in marks


_TAKE = (  # built once: every update's handler starts with it
    sql_update(InboxUpdate)
    .where(InboxUpdate.update_id == bindparam("taken_id"), InboxUpdate.processed_at.is_(None))
    .values(
        processed_at=bindparam("taken_at", type_=InboxUpdate.processed_at.type),
        attempts=InboxUpdate.attempts + 1,
    )
    # The handler's first statement: no inbox row is loaded in the session to update.
    .execution_options(synchronize_session=False)
)


async def take_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Mark the update processed inside the handler's transaction; False if it already was.

    Whatever a handler changes commits together with this mark, so a redelivered update
    (or one processed again after a crash) finds it and changes nothing.
    """
    marked = await session.execute(_TAKE, {"taken_id": update_id, "taken_at": now})
    if marked.rowcount == 1:  # type: ignore[attr-defined]
        return True
    exists = await session.scalar(
        select(InboxUpdate.update_id).where(InboxUpdate.update_id == update_id)
    )
    if exists is not None:
        return False
    # Not through the inbox (e.g. a webhook delivered it straight): record it now.
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(InboxUpdate)
        .values(
            update_id=update_id,
            received_at=now,
            processed_at=now,
            payload={},
            attempts=1,
        )
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
