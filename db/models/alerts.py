"""Alerts for the care team, with their escalation snapshot and a timeline of events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.states import AlertStatus
from db.types import FindingsJSON, JSONType, UTCDateTime, str_enum, tier_enum
from flows import Finding, Tier


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index(None, "episode_id", "status"),
        Index(None, "status", "next_escalation_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))
    protocol_version_id: Mapped[int | None] = mapped_column(ForeignKey("protocol_versions.id"))
    tier: Mapped[Tier] = mapped_column(tier_enum())
    # What raised it: a protocol rule, or the follow-up itself (refusal, pause, unreachable).
    cause: Mapped[str] = mapped_column(String(24))
    findings: Mapped[tuple[Finding, ...]] = mapped_column(FindingsJSON())
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    clavien_dindo: Mapped[str | None] = mapped_column(String(8))
    # The team's chain as it was when the alert opened; later edits do not touch it.
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    # When the snapshot's chain started: the alert's opening, or the moment its tier rose.
    escalation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)


class AlertEvent(Base):
    """One line of an alert's timeline: opened, updated, escalated, acknowledged…"""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)
