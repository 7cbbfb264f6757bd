"""The lifecycle states stored in the database, in the clinic's words."""

from __future__ import annotations

from enum import StrEnum


class EpisodeStatus(StrEnum):
    INVITED = "invited"  # enrolled, link not yet opened
    ACTIVE = "active"  # consented; check-ins go out
    PAUSED = "paused"  # the patient asked to stop for now
    ON_HOLD = "on_hold"  # the team paused it (e.g. readmitted); only the team resumes it
    DECLINED = "declined"  # refused consent: nothing more is collected
    UNREACHABLE = "unreachable"  # Telegram says the chat is gone or blocked
    COMPLETED = "completed"  # the schedule has run its course
    WITHDRAWN = "withdrawn"  # ended by the team


class StaffRole(StrEnum):
    NURSE = "nurse"
    SURGEON = "surgeon"
    ADMIN = "admin"


class TokenPurpose(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"
    CAREGIVER = "caregiver"


class CheckInStatus(StrEnum):
    SCHEDULED = "scheduled"  # due in the future
    SENT = "sent"  # first question delivered to the outbox
    IN_PROGRESS = "in_progress"  # at least one answer
    COMPLETED = "completed"
    MISSED = "missed"  # window closed without completion; counts as non-response
    CANCELLED = "cancelled"  # episode paused, withdrawn or erased


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


# Named by value, not as "not resolved", so that queries can use the status indexes.
OPEN_ALERTS = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender under a lease
    SENT = "sent"
    FAILED = "failed"  # permanent error, or retries exhausted
    UNCERTAIN = "uncertain"  # sent in doubt too many times running: not sent again
    CANCELLED = "cancelled"
