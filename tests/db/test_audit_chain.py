"""Audit rows chain by hash: any edit is found, on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.audit import GENESIS, append, verify_chain
from db.models import AuditEntry

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


async def _write_three(sessions: async_sessionmaker[AsyncSession]) -> None:
    for n, action in enumerate(["enrol", "acknowledge", "view_patient"]):
        async with sessions.begin() as session:
            await append(
                session,
                at=T0 + timedelta(minutes=n),
                actor_kind="staff",
                actor_ref=f"staff:{n}",
                action=action,
                origin="telegram",
                patient_ref="P-001",
                detail={"n": n},
            )


async def _chain(sessions: async_sessionmaker[AsyncSession]) -> list[AuditEntry]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_an_untouched_chain_verifies(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _write_three(sessions)
    chain = await _chain(sessions)
    assert [e.action for e in chain] == ["enrol", "acknowledge", "view_patient"]
    assert chain[0].prev_hash == GENESIS
    assert chain[1].prev_hash == chain[0].hash
    assert verify_chain(chain) is None


async def _bypass_append_only(session: AsyncSession) -> None:
    """What only the database's owner can do: switch off the append-only triggers."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        await session.execute(text("DROP TRIGGER audit_log_no_update"))


@pytest.mark.parametrize("statement", ["update", "delete"])
async def test_the_database_refuses_to_change_an_audit_row(
    sessions: async_sessionmaker[AsyncSession], statement: str
) -> None:
    await _write_three(sessions)
    second = (await _chain(sessions))[1].id
    change = (
        update(AuditEntry).where(AuditEntry.id == second).values(actor_ref="staff:999")
        if statement == "update"
        else delete(AuditEntry).where(AuditEntry.id == second)
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with sessions.begin() as session:
            await session.execute(change)
    assert [e.actor_ref for e in await _chain(sessions)] == ["staff:0", "staff:1", "staff:2"]


async def test_an_edited_row_is_named(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _write_three(sessions)
    second = (await _chain(sessions))[1].id
    async with sessions.begin() as session:
        await _bypass_append_only(session)
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == second).values(actor_ref="staff:999")
        )
    broken = verify_chain(await _chain(sessions))
    assert broken is not None
    assert broken.entry_id == second
    assert "hash" in broken.reason


async def test_a_deleted_row_breaks_the_link_after_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _write_three(sessions)
    chain = await _chain(sessions)
    broken = verify_chain([chain[0], chain[2]])
    assert broken is not None
    assert broken.entry_id == chain[2].id
    assert "follow" in broken.reason
