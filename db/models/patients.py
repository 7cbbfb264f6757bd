"""Patients, their surgical episodes, and the one-time tokens that link Telegram accounts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.states import EpisodeStatus, TokenPurpose
from db.types import UTCDateTime, str_enum

ERASED = text("erased_at IS NOT NULL")


class Patient(Base):
    __tablename__ = "patients"
    # The few erased patients, found without reading the rest (the roster's count).
    __table_args__ = (
        Index("ix_patients_erased", "id", sqlite_where=ERASED, postgresql_where=ERASED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The hospital's pseudonymous reference: what logs and alerts use.
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    # A typed reply the bot is waiting for outside a check-in (e.g. "timezone").
    awaiting: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    episodes: Mapped[list[Episode]] = relationship(back_populates="patient")


class Episode(Base):
    """One operation and the follow-up that goes with it."""

    __tablename__ = "episodes"
    __table_args__ = (
        Index(None, "status"),
        # The roster sorts a team's patients by each of these: an indexed query at any size.
        Index("ix_episodes_team_last_answered", "team_id", "last_answered_at", "id"),
        Index("ix_episodes_team_response_rate", "team_id", "response_rate", "id"),
        Index("ix_episodes_team_recovery_score", "team_id", "recovery_score", "id"),
        Index("ix_episodes_team_surgery_date", "team_id", "surgery_date", "id"),
        Index("ix_episodes_team_status", "team_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    protocol_version_id: Mapped[int] = mapped_column(ForeignKey("protocol_versions.id"))
    procedure: Mapped[str | None] = mapped_column(String(200))
    surgery_date: Mapped[date] = mapped_column(Date)
    discharge_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[EpisodeStatus] = mapped_column(str_enum(EpisodeStatus))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it last came back from a pause or a hold: a check-in that fell due meanwhile is
    # not late for having waited.
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept at each closed check-in (bot.checkins.standing), so that lists sort on them.
    last_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Percent of the planned check-ins closed so far that were answered; None: none yet.
    response_rate: Mapped[int | None] = mapped_column(Integer)
    # The latest recovery score judged against the pathway; None: none judged yet.
    recovery_score: Mapped[int | None] = mapped_column(Integer)

    patient: Mapped[Patient] = relationship(back_populates="episodes")


class LinkToken(Base):
    """A single-use, expiring invitation; only its hash is stored."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # A caregiver's link: the caregiver it names (its episode_id is the patient's episode).
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("caregivers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


class Caregiver(Base):
    """A second Telegram account, linked with its own single-use link, that may answer the
    patient's check-ins and receives their emergency advice. Erased with the patient."""

    __tablename__ = "caregivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    # None until the link is opened, and again once removed (the account is let go).
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # Who added them: "patient", or the staff member / admin's reference.
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LinkFailure(Base):
    """A link someone could not use, kept only while it counts against guessing links.

    Not in the audit log: that log is append-only, and the account id is personal data.
    """

    __tablename__ = "link_failures"
    __table_args__ = (
        Index(None, "telegram_user_id", "at"),
        Index(None, "token_prefix", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The first characters of the link tried: guesses around one link, from many accounts.
    token_prefix: Mapped[str | None] = mapped_column(String(8))
