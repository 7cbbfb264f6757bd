"""Stored protocol versions as admins handle them: load a file as a version (audited), list a
protocol's versions, read one back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.protocols.catalogue import store
from bot.protocols.sources import LoadedProtocol
from db.audit import append
from db.models import ProtocolVersion
from db.protocol_store import find
from flows import Protocol, parse_protocol


async def load(
    session: AsyncSession, loaded: LoadedProtocol, *, now: datetime, actor: str
) -> tuple[str, bool]:
    """Store the file as a version patients can be enrolled on: (its version label, whether
    it was new). A new version is audited."""
    row, added = await store(session, loaded, now)
    if added:
        await append(
            session,
            at=now,
            actor_kind="cli",
            actor_ref=actor,
            action="protocol.load",
            origin="cli",
            detail={"protocol": f"{row.protocol_id}@{row.version}", "sha256": row.content_hash},
        )
    return row.version, added


async def read(session: AsyncSession, protocol_id: str, version: str) -> Protocol | None:
    """The stored version ``protocol_id@version``, parsed; None when there is none."""
    row = await find(session, protocol_id, version)
    return None if row is None else parse_protocol(row.content, row.source_name)


async def versions(session: AsyncSession, protocol_id: str) -> list[dict[str, str]]:
    """The stored versions of ``protocol_id``, oldest first."""
    rows = await session.scalars(
        select(ProtocolVersion)
        .where(ProtocolVersion.protocol_id == protocol_id)
        .order_by(ProtocolVersion.id)
    )
    return [
        {
            "version": r.version,
            "sha256": r.content_hash,
            "source": r.source_name,
            "loaded_at": r.loaded_at.isoformat(),
        }
        for r in rows
    ]
