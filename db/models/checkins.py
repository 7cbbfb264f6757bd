"""The schedule as data: every check-in is a row, and every answer is kept with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.states import CheckInStatus
from db.types import JSONType, UTCDateTime, str_enum, tier_enum
from flows import CheckInKind, Tier

# The partial index's condition, as the reminder question states it (both databases use a
# partial index only for a query whose WHERE contains its condition).
NOT_REMINDED = text("reminded_at IS NULL")
# Check-ins whose window may still have to be closed (scheduled, sent or in progress), as
# the dispatcher's question states it: in words, not parameters, so that PostgreSQL's
# generic plan of the prepared statement may use the partial index too.
OPEN_STATUSES = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.IN_PROGRESS)
WINDOW_OPEN = text(f"status IN ({', '.join(repr(status.value) for status in OPEN_STATUSES)})")
ANSWERED_BY_PATIENT = "patient"
ANSWERED_BY_CAREGIVER = "caregiver"


class CheckIn(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        # The dispatcher's three questions at every tick: what is due, whose window has
        # closed, who needs a reminder. Each reads only the rows it returns: with nothing
        # due, none, however many patients are followed or have finished.
        Index(None, "status", "due_at"),
        Index("ix_checkins_status_missed_at", "status", "missed_at"),
        # Only check-ins not yet reminded: those reminded already, their windows still open
        # (a tenth of the patients at any time), are not in it to be read and dropped.
        Index(
            "ix_checkins_reminder_due",
            "status",
            "remind_at",
            sqlite_where=NOT_REMINDED,
            postgresql_where=NOT_REMINDED,
        ),
        # PostgreSQL's: open check-ins in the order their windows close. Taking status and
        # time as unrelated, its planner expects a quarter of the table to be open and past
        # its window, and from about a million patients read the whole table each tick to
        # find none. SQLite reads (status, missed_at) for each open status, as it should.
        Index("ix_checkins_open_windows", "missed_at", "id", postgresql_where=WINDOW_OPEN).ddl_if(
            dialect="postgresql"
        ),
        Index(None, "episode_id", "pod"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"))
    protocol_version_id: Mapped[int] = mapped_column(ForeignKey("protocol_versions.id"))
    pod: Mapped[int] = mapped_column(Integer)
    kind: Mapped[CheckInKind] = mapped_column(str_enum(CheckInKind))
    status: Mapped[CheckInStatus] = mapped_column(str_enum(CheckInStatus))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # After this instant an unfinished check-in is missed (late answers are still kept).
    missed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_late: Mapped[bool] = mapped_column(Boolean, default=False)
    # The conversation's state (flows.CheckInState as JSON): where the patient is in it.
    conversation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    tier: Mapped[Tier | None] = mapped_column(tier_enum())
    recovery_score: Mapped[int | None] = mapped_column(Integer)
    # A claim by one dispatcher; it lapses if that process dies.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("checkin_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"))
    protocol_version_id: Mapped[int] = mapped_column(ForeignKey("protocol_versions.id"))
    item_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSONType)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # The Telegram update that carried it: a redelivered update finds it already recorded.
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    # Who gave it: the patient, or a caregiver answering for them (kept after erasure,
    # which removes the caregiver's account).
    answered_by: Mapped[str] = mapped_column(
        String(16), default=ANSWERED_BY_PATIENT, server_default=ANSWERED_BY_PATIENT
    )
