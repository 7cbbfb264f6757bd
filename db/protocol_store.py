"""Protocol versions in the database: a reviewed file, once used, never changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ProtocolVersion


class VersionConflict(Exception):
    """The same protocol version label was loaded before with different content."""


async def register(
    session: AsyncSession,
    *,
    protocol_id: str,
    version: str,
    content_hash: str,
    source_name: str,
    content: str,
    now: datetime,
) -> tuple[ProtocolVersion, bool]:
    """The stored version for this content, adding it if new; returns (row, added)."""
    existing = await session.scalar(
        select(ProtocolVersion).where(
            ProtocolVersion.protocol_id == protocol_id, ProtocolVersion.version == version
        )
    )
    if existing is not None:
        if existing.content_hash != content_hash:
            raise VersionConflict(
                f"{source_name}: protocol '{protocol_id}' version '{version}' was loaded before "
                "with different content; give the changed file a new version"
            )
        return existing, False
    row = ProtocolVersion(
        protocol_id=protocol_id,
        version=version,
        content_hash=content_hash,
        source_name=source_name,
        content=content,
        loaded_at=now,
    )
    session.add(row)
    await session.flush()
    return row, True


async def find(
    session: AsyncSession, protocol_id: str, version: str | None
) -> ProtocolVersion | None:
    """A stored version, or the newest loaded one when ``version`` is None."""
    query = select(ProtocolVersion).where(ProtocolVersion.protocol_id == protocol_id)
    if version is not None:
        query = query.where(ProtocolVersion.version == version)
    found: ProtocolVersion | None = await session.scalar(
        query.order_by(ProtocolVersion.id.desc()).limit(1)
    )
    return found
