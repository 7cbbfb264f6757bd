"""The append-only audit log: who did or saw what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.types import JSONType, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # staff, patient, cli, system, telegram_user (an account nobody linked: never its id)
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_ref: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(20))  # done, refused
    patient_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(String(40))  # telegram, cli, scheduler
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Each row's hash covers its content and the previous row's hash: edits break the chain.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """The chain's head (how many rows, the last one's hash) as it stood at an instant.

    Kept where the application cannot rewrite it: on PostgreSQL only the function
    ``audit_checkpoint()`` (owned by the migrations' role) may add a row; on SQLite each row
    is sealed with an HMAC under ``ERAS_AUDIT_KEY``. Rows removed from the end of the chain,
    or all of them, no longer match the newest checkpoint.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    row_count: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of the three fields above (SQLite); NULL on PostgreSQL, where the role
    # that writes the row is the guarantee.
    seal: Mapped[str | None] = mapped_column(String(64))
