"""Protocol versions in the database: a reviewed file, once used, never changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ProtocolVersion


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
    """The stored version for this content, adding it if new; returns (row, added).

    A changed file is a new version. When its author kept the old version label, the new
    one is stored as ``LABEL+HASH8`` so that both stay addressable and neither is
    mistaken for the other.
    """
    same_content = await session.scalar(
        select(ProtocolVersion).where(
            ProtocolVersion.protocol_id == protocol_id,
            ProtocolVersion.content_hash == content_hash,
        )
    )
    if same_content is not None:
        return same_content, False
    label_taken = await session.scalar(
        select(ProtocolVersion.id).where(
            ProtocolVersion.protocol_id == protocol_id, ProtocolVersion.version == version
        )
    )
    row = ProtocolVersion(
        protocol_id=protocol_id,
        version=version if label_taken is None else f"{version}+{content_hash[:8]}",
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
