"""Inbox and outbox: the durable edges between the bot and Telegram."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.states import OutboxStatus
from db.types import JSONType, UTCDateTime, str_enum


class InboxUpdate(Base):
    """An update from Telegram, stored before it is confirmed; processed at most once."""

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Indexed: a restarted poller resumes after the update received last.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    # The chat it came from: updates are handled in order within a chat, chats side by side.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Sent by an account that is neither staff nor a patient: deleted after a few days.
    from_stranger: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StrangerTally(Base):
    """How many updates one unknown account sent in one hour, while the hour is open.

    The account is named by a keyed hash (HMAC under ERAS_AUDIT_KEY), never by its id; when
    the hour closes the count becomes one audit row and this row is deleted.
    """

    __tablename__ = "stranger_tallies"

    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    updates: Mapped[int] = mapped_column(Integer)


class OutboxMessage(Base):
    """A message that matters, written with the state change that causes it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(None, "status", "not_before"),
        Index("ix_outbox_messages_status_priority", "status", "priority", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    purpose: Mapped[str] = mapped_column(String(40))
    # Emergency advice jumps the queue; lower goes first.
    priority: Mapped[int] = mapped_column(Integer, default=5)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it was delivered; while a sender holds it, when the request began (written
    # before the request leaves, so a sender that dies leaves evidence of having tried).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    # When a send first may or may not have arrived, and how many such sends there were:
    # each is followed by another, up to a limit (``bot.delivery.outbox``).
    uncertain_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    doubtful_sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Makes "send this once" idempotent across retries of the code that enqueues it.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
