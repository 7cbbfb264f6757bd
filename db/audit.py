"""Appending to the audit log, each row chained to the one before by a hash.

Editing or deleting a row breaks the chain from that row on, which ``verify_chain`` finds
on any backend. Triggers (migration 0002) make the database itself refuse UPDATE and DELETE
of audit rows (and TRUNCATE on PostgreSQL); the chain catches whoever drops them first.
Rows cut from the end leave a chain that still holds: ``checkpoint`` records the head where
the application cannot rewrite it (migration 0011), and the newest checkpoint must still be
found in the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditCheckpoint, AuditEntry

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
    (entry,) = await append_many(
        session,
        [
            {
                "at": at,
                "actor_kind": actor_kind,
                "actor_ref": actor_ref,
                "action": action,
                "origin": origin,
                "outcome": outcome,
                "patient_ref": patient_ref,
                "detail": detail or {},
            }
        ],
    )
    return entry


async def append_many(session: AsyncSession, rows: Iterable[dict[str, Any]]) -> list[AuditEntry]:
    """Add several audit rows, chained in the order given, with one look at the chain's
    head (a list of patients enrolled at once); each dict holds ``append``'s fields."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    previous = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    entries = []
    for fields in rows:
        entry = AuditEntry(**({"outcome": "done", "detail": {}} | fields))
        entry.prev_hash = previous or GENESIS
        entry.hash = previous = entry_hash(entry.prev_hash, _fields(entry))
        session.add(entry)
        entries.append(entry)
    await session.flush()
    return entries


async def checkpoint(session: AsyncSession, *, at: datetime, key: bytes) -> AuditCheckpoint | None:
    """Record the chain's head, when it moved since the last checkpoint; the new checkpoint,
    or None. ``key`` seals it on SQLite; PostgreSQL's function counts the head itself."""
    if session.bind.dialect.name == "postgresql":
        counted = await session.scalar(text("SELECT audit_checkpoint(:at)"), {"at": at})
        if counted is None:
            return None
        return await latest_checkpoint(session)
    # SQLite has one writer at a time: the head cannot move while it is read.
    counted = await session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    latest = await latest_checkpoint(session)
    if counted == 0 or (latest is not None and latest.row_count == counted):
        return None
    head = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    assert head is not None
    taken = AuditCheckpoint(at=at, row_count=counted, last_hash=head)
    taken.seal = seal(taken, key)
    session.add(taken)
    await session.flush()
    return taken


async def latest_checkpoint(session: AsyncSession) -> AuditCheckpoint | None:
    newest: AuditCheckpoint | None = await session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    )
    return newest


def seal(taken: AuditCheckpoint, key: bytes) -> str:
    message = f"{taken.at.isoformat()}|{taken.row_count}|{taken.last_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal_holds(taken: AuditCheckpoint, key: bytes) -> bool:
    return taken.seal is not None and hmac.compare_digest(taken.seal, seal(taken, key))


@dataclass(frozen=True)
class BrokenLink:
    """Where the chain does not hold: a row (``entry_id``), or its end (None)."""

    entry_id: int | None
    reason: str


class ChainCheck:
    """Follows the chain one row at a time (in id order), so a long log can be streamed."""

    def __init__(self, anchor: AuditCheckpoint | None = None) -> None:
        self.previous = GENESIS
        self.rows = 0
        self.anchor = anchor

    def follow(self, entry: AuditEntry) -> BrokenLink | None:
        self.rows += 1
        if entry.prev_hash != self.previous:
            return BrokenLink(entry.id, "does not follow the row before it")
        if entry_hash(entry.prev_hash, _fields(entry)) != entry.hash:
            return BrokenLink(entry.id, "content does not match its hash")
        anchor = self.anchor
        if anchor is not None and self.rows == anchor.row_count and entry.hash != anchor.last_hash:
            return BrokenLink(entry.id, f"is not the row checkpointed {self._when}")
        self.previous = entry.hash
        return None

    def end(self) -> BrokenLink | None:
        """After the last row: whether the chain still reaches its newest checkpoint."""
        if self.anchor is None or self.rows >= self.anchor.row_count:
            return None
        if self.rows == 0:
            return BrokenLink(
                None, f"the log is empty, but held {self.anchor.row_count} rows {self._when}"
            )
        return BrokenLink(
            None,
            f"the log ends after {self.rows} rows, but held {self.anchor.row_count} "
            f"{self._when}: rows were cut from its end",
        )

    @property
    def _when(self) -> str:
        assert self.anchor is not None
        return f"at checkpoint {self.anchor.id} ({self.anchor.at.isoformat()})"


def verify_chain(entries: Iterable[AuditEntry]) -> BrokenLink | None:
    """The first row (in id order) whose hash or link does not hold, or None."""
    check = ChainCheck()
    for entry in entries:
        if broken := check.follow(entry):
            return broken
    return check.end()
