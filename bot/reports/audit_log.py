"""The audit log as admins read it: entries newest first, and whether its chain still holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.audit import BrokenLink, ChainCheck, append
from db.models import AuditEntry


async def entries(
    session: AsyncSession,
    *,
    patient_ref: str | None = None,
    action: str | None = None,
    refused: bool = False,
    limit: int = 100,
    now: datetime,
    actor: str,
) -> list[dict[str, Any]]:
    """Entries newest first; reading a patient's entries is itself recorded."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if patient_ref is not None:
        query = query.where(AuditEntry.patient_ref == patient_ref)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if refused:
        query = query.where(AuditEntry.outcome == "refused")
    found = [_entry(e) for e in await session.scalars(query)]
    if patient_ref is not None:
        await append(
            session,
            at=now,
            actor_kind="cli",
            actor_ref=actor,
            action="audit.list",
            origin="cli",
            patient_ref=patient_ref,
            detail={"entries": len(found)},
        )
    return found


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor_kind": entry.actor_kind,
        "actor_ref": entry.actor_ref,
        "action": entry.action,
        "outcome": entry.outcome,
        "patient_ref": entry.patient_ref,
        "origin": entry.origin,
        "detail": entry.detail,
    }


async def verify(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, BrokenLink | None]:
    """Follow the hash chain from the first row to the last: the rows read, and the first
    row that was edited or does not follow the one before it (a row removed), if any."""
    check = ChainCheck()
    async with sessions() as session:
        rows = await session.stream_scalars(
            select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
        )
        async for entry in rows:
            if broken := check.follow(entry):
                return check.rows, broken
    return check.rows, None
