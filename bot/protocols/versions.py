"""Stored protocol versions as admins handle them: load a file as a version (audited), list a
protocol's versions, read one back, compare two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.protocols.catalogue import store
from bot.protocols.sources import LoadedProtocol
from db.audit import append
from db.models import ProtocolVersion
from db.protocol_store import find
from flows import Protocol, diff_protocols, parse_protocol


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


# What a change is about, by the first word ``diff_protocols`` gives it: its section.
SECTIONS = {
    "item": "Items",
    "group": "Items",
    "schedule:": "Schedule",
    "rule": "Rules",
    "milestone": "Milestones",
}
OTHER = "Everything else"


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed or changed
    text: str  # as `eras protocol diff` says it


@dataclass(frozen=True)
class Comparison:
    """What changed from one stored version of a protocol to another, by section (items,
    schedule, rules, milestones, everything else), in the words of `eras protocol diff`
    (``flows.diff_protocols``, which moving patients to another version shows too)."""

    protocol_id: str
    old: str
    new: str
    sections: tuple[tuple[str, tuple[Change, ...]], ...]

    @property
    def count(self) -> int:
        return sum(len(changes) for _, changes in self.sections)


async def compare(session: AsyncSession, protocol_id: str, old: str, new: str) -> Comparison | None:
    """The changes from ``protocol_id@old`` to ``protocol_id@new``; None when either is not
    stored."""
    before, after = await read(session, protocol_id, old), await read(session, protocol_id, new)
    if before is None or after is None:
        return None
    grouped: dict[str, list[Change]] = {name: [] for name in (*SECTIONS.values(), OTHER)}
    for text in diff_protocols(before, after):
        section = SECTIONS.get(text.split(" ", 1)[0], OTHER)
        grouped[section].append(Change(_kind(text), text))
    sections = tuple((name, tuple(found)) for name, found in grouped.items() if found)
    return Comparison(protocol_id, old, new, sections)


def _kind(text: str) -> str:
    for kind in ("added", "removed"):
        if text.endswith(f" {kind}"):
            return kind
    return "changed"
