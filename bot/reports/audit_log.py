"""The audit log as admins read it: entries newest first, and whether its chain still holds."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.audit import BrokenLink, ChainCheck, append, latest_checkpoint, seal_holds
from db.audit import checkpoint as take_checkpoint
from db.models import AuditCheckpoint, AuditEntry

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class ChainReport:
    rows: int
    broken: BrokenLink | None
    checkpoint: AuditCheckpoint | None  # the newest, which the chain must still reach


async def verify(sessions: async_sessionmaker[AsyncSession], key: bytes | None) -> ChainReport:
    """Follow the hash chain from the first row to the last, up to and past its newest
    checkpoint: the rows read, and the first row that was edited or does not follow the one
    before it, or the end cut short of the checkpoint. ``key``: ERAS_AUDIT_KEY, which seals
    SQLite's checkpoints (PostgreSQL's need none: the application cannot write them)."""
    async with sessions() as session:
        return await verify_in(session, key)


async def verify_in(session: AsyncSession, key: bytes | None) -> ChainReport:
    """``verify`` in the caller's transaction (the console's page reads it beside its list)."""
    anchor = await latest_checkpoint(session)
    if anchor is not None and session.bind.dialect.name != "postgresql":
        if key is None:
            return ChainReport(0, BrokenLink(None, _NO_KEY), anchor)
        if not seal_holds(anchor, key):
            return ChainReport(0, BrokenLink(None, _FORGED.format(anchor.id)), anchor)
    check = ChainCheck(anchor)
    rows = await session.stream_scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    )
    try:
        async for entry in rows:
            if broken := check.follow(entry):
                return ChainReport(check.rows, broken, anchor)
    finally:
        await rows.close()  # the session goes on being used
    return ChainReport(check.rows, check.end(), anchor)


async def checkpoint(
    sessions: async_sessionmaker[AsyncSession], now: datetime, key: bytes
) -> AuditCheckpoint | None:
    """Checkpoint the chain's head if it moved, and say so in the log too: a copy outside
    the database, which whoever can rewrite the database cannot reach."""
    async with sessions.begin() as session:
        taken = await take_checkpoint(session, at=now, key=key)
    if taken is not None:
        log.info(
            "audit checkpoint %s: %s rows, last hash %s", taken.id, taken.row_count, taken.last_hash
        )
    return taken


_NO_KEY = "ERAS_AUDIT_KEY is not set: the checkpoints it sealed cannot be checked"
_FORGED = "checkpoint {} is not sealed with ERAS_AUDIT_KEY (forged, or the key changed)"
