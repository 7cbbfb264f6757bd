"""What the patient and the care team write to each other outside the check-ins, and the
team's notes for the record: kept with the patient's record and erased with it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.types import UTCDateTime, str_enum


class Direction(StrEnum):
    FROM_PATIENT = "from_patient"
    TO_PATIENT = "to_patient"


class Content(StrEnum):
    """What a message carries: words, or a photo or voice message kept by Telegram's file id."""

    TEXT = "text"
    PHOTO = "photo"
    VOICE = "voice"


class PatientMessage(Base):
    """One message between a patient and their care team, in either direction."""

    __tablename__ = "patient_messages"
    __table_args__ = (Index(None, "episode_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    content: Mapped[Content] = mapped_column(str_enum(Content))
    # The words (a photo's caption); None for a photo or voice message without any.
    text: Mapped[str | None] = mapped_column(Text)
    # A photo or voice message, as Telegram knows it: the bot can send it on by this id.
    file_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Who of the team wrote it (a message to the patient).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Where it was written: telegram or console.
    origin: Mapped[str] = mapped_column(String(16))
    # The update that carried a patient's message.
    update_id: Mapped[int | None] = mapped_column(BigInteger)


class CareNote(Base):
    """A note for the record by a member of the team: never sent to the patient."""

    __tablename__ = "care_notes"
    __table_args__ = (Index(None, "episode_id", "written_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"))
    # The alert it is about, when it was written on one.
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    origin: Mapped[str] = mapped_column(String(16))
