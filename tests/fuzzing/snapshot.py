"""What the bot knows, before and after an update: the clinical tables, row by row.

The inbox and the outbox are not in it (storing an update and answering it are allowed),
nor is the audit log, which only grows: what was added to those is looked at on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import (
    Alert,
    AlertEvent,
    Answer,
    AuditEntry,
    CheckIn,
    Episode,
    EscalationStep,
    LinkToken,
    OutboxMessage,
    Patient,
    ProtocolVersion,
    Staff,
    Team,
    TeamMember,
)

CLINICAL: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (
        Patient,
        Episode,
        LinkToken,
        CheckIn,
        Answer,
        Alert,
        AlertEvent,
        Team,
        Staff,
        TeamMember,
        EscalationStep,
        ProtocolVersion,
    )
)

Row = dict[str, Any]
Key = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Change:
    table: str
    before: Row | None
    after: Row | None

    @property
    def row(self) -> Row:
        found = self.after if self.after is not None else self.before
        assert found is not None
        return found

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.table}: added {self.after}"
        if self.after is None:
            return f"{self.table}: removed {self.before}"
        moved = {k: (self.before[k], v) for k, v in self.after.items() if self.before.get(k) != v}
        return f"{self.table} {self.before.get('id', '')}: {moved}"


@dataclass(frozen=True)
class Snapshot:
    rows: dict[Key, Row]
    last_audit: int
    last_outbox: int

    @classmethod
    async def take(cls, sessions: async_sessionmaker[AsyncSession]) -> Snapshot:
        rows: dict[Key, Row] = {}
        async with sessions() as session:
            for table in CLINICAL:
                keys = [column.name for column in table.primary_key]
                for found in (await session.execute(select(table))).mappings():
                    rows[(table.name, tuple(found[k] for k in keys))] = dict(found)
            last_audit = await session.scalar(select(func.max(AuditEntry.id)))
            last_outbox = await session.scalar(select(func.max(OutboxMessage.id)))
        return cls(rows, last_audit or 0, last_outbox or 0)

    def changes_to(self, later: Snapshot) -> list[Change]:
        return [
            Change(key[0], self.rows.get(key), later.rows.get(key))
            for key in sorted(self.rows.keys() | later.rows.keys(), key=repr)
            if self.rows.get(key) != later.rows.get(key)
        ]

    async def added_since(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> tuple[list[AuditEntry], list[OutboxMessage]]:
        """Audit entries and outgoing messages written after this snapshot."""
        async with sessions() as session:
            audit = await session.scalars(
                select(AuditEntry).where(AuditEntry.id > self.last_audit).order_by(AuditEntry.id)
            )
            outbox = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id > self.last_outbox)
                .order_by(OutboxMessage.id)
            )
            return list(audit), list(outbox)


class Baseline:
    """What an example starts from: where the last one ended, if it passed; else a fresh
    snapshot (a failing example may have changed things, and shrinking runs more)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._kept: Snapshot | None = None

    async def take(self) -> Snapshot:
        kept, self._kept = self._kept, None
        return kept or await Snapshot.take(self._sessions)

    def keep(self, after: Snapshot) -> None:
        self._kept = after
