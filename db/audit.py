"""Appending to the audit log, each row chained to the one before by a hash.

Editing or deleting a row breaks the chain from that row on, which ``verify_chain`` finds
on any backend. Triggers (migration 0002) make the database itself refuse UPDATE and DELETE
of audit rows (and TRUNCATE on PostgreSQL); the chain catches whoever drops them first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry

GENESIS = "0" * 64
# Who acted from a Telegram account that is neither linked staff nor a linked patient. The
# account id is personal data, and an append-only log could never erase it: it is not kept.
UNKNOWN_TELEGRAM_USER = "telegram:unknown"
# Any constant will do: it names the lock that serialises appends on PostgreSQL.
_APPEND_LOCK = 7_143_920_211


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor_kind": entry.actor_kind,
        "actor_ref": entry.actor_ref,
        "action": entry.action,
        "outcome": entry.outcome,
        "patient_ref": entry.patient_ref,
        "origin": entry.origin,
        "detail": entry.detail,
    }


async def append(
    session: AsyncSession,
    *,
    at: datetime,
    actor_kind: str,
    actor_ref: str,
    action: str,
    origin: str,
    outcome: str = "done",
    patient_ref: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the caller's transaction (it stands or falls with the action)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    previous = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=at,
        actor_kind=actor_kind,
        actor_ref=actor_ref,
        action=action,
        outcome=outcome,
        patient_ref=patient_ref,
        origin=origin,
        detail=detail or {},
        prev_hash=previous or GENESIS,
    )
    entry.hash = entry_hash(entry.prev_hash, _fields(entry))
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class BrokenLink:
    entry_id: int
    reason: str


class ChainCheck:
    """Follows the chain one row at a time (in id order), so a long log can be streamed."""

    def __init__(self) -> None:
        self.previous = GENESIS
        self.rows = 0

    def follow(self, entry: AuditEntry) -> BrokenLink | None:
        self.rows += 1
        if entry.prev_hash != self.previous:
            return BrokenLink(entry.id, "does not follow the row before it")
        if entry_hash(entry.prev_hash, _fields(entry)) != entry.hash:
            return BrokenLink(entry.id, "content does not match its hash")
        self.previous = entry.hash
        return None


def verify_chain(entries: Iterable[AuditEntry]) -> BrokenLink | None:
    """The first row (in id order) whose hash or link does not hold, or None."""
    check = ChainCheck()
    for entry in entries:
        if broken := check.follow(entry):
            return broken
    return None
