"""Care teams (a Telegram group each) and the staff who act on alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.states import StaffRole
from db.types import UTCDateTime, str_enum, tier_enum
from flows import Tier


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # What the team's patients are told to call in an emergency, and the ward's own phone;
    # None: the deployment's default (ERAS_EMERGENCY_NUMBER), no phone on the sheet.
    emergency_number: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    members: Mapped[list[TeamMember]] = relationship(back_populates="team")


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Set once the person linked their Telegram account with a one-time token.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[TeamMember]] = relationship(back_populates="staff")


class TeamMember(Base):
    """A staff member in one team, with their role in that team (a nurse of one ward may be
    an admin of another): every authorisation reads the role of the team in question."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole))
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)

    team: Mapped[Team] = relationship(back_populates="members")
    staff: Mapped[Staff] = relationship(back_populates="memberships")


class EscalationStep(Base):
    """One step of a team's chain for a tier: whom to tell, and after how long unacknowledged."""

    __tablename__ = "escalation_steps"
    __table_args__ = (UniqueConstraint("team_id", "tier", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    tier: Mapped[Tier] = mapped_column(tier_enum())
    position: Mapped[int] = mapped_column(Integer)
    after_seconds: Mapped[int] = mapped_column(Integer)
    notify: Mapped[str] = mapped_column(String(16))  # team_chat, on_call, surgeon
    repeat_every_seconds: Mapped[int | None] = mapped_column(Integer)
    # The delay counts only daytime hours (08:00–22:00) in the team's time zone.
    daytime: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
