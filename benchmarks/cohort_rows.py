"""The rows of a benchmark cohort, shaped as enrolment and the dispatcher leave them.

Around an instant ``now``: a check-in whose window closed was completed or missed, one whose
window is open was sent, the rest are scheduled; every sent check-in left its first message
in the outbox.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from db.models import AlertStatus, CheckInStatus, EpisodeStatus, OutboxStatus
from flows import CheckInKind, CheckInState, PlannedCheckIn, Protocol


def patient_row(
    ref_prefix: str, patient_id: int, chat: int, zone: str, at: datetime
) -> dict[str, Any]:
    return {
        "id": patient_id,
        "ref": f"{ref_prefix}-{patient_id:07d}",  # pseudonymous, as hospitals give them
        "display_name": None,
        "telegram_user_id": chat,
        "telegram_chat_id": chat,
        "language": "en",
        "timezone": zone,
        "awaiting": None,
        "created_at": at,
        "erased_at": None,
    }


def episode_row(
    episode_id: int,
    patient_id: int,
    team_id: int,
    version_id: int,
    protocol: Protocol,
    surgery: date,
    discharge: date,
    enrolled: datetime,
) -> dict[str, Any]:
    return {
        "id": episode_id,
        "patient_id": patient_id,
        "team_id": team_id,
        "protocol_version_id": version_id,
        "procedure": protocol.procedures[0] if protocol.procedures else None,
        "surgery_date": surgery,
        "discharge_date": discharge,
        "status": EpisodeStatus.ACTIVE,
        "consented_at": enrolled,
        "created_at": enrolled,
        "updated_at": enrolled,
    }


def checkin_row(
    checkin_id: int,
    episode_id: int,
    version_id: int,
    planned: PlannedCheckIn,
    now: datetime,
    rng: random.Random,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": checkin_id,
        "episode_id": episode_id,
        "protocol_version_id": version_id,
        "pod": planned.pod,
        "kind": planned.kind,
        "status": CheckInStatus.SCHEDULED,
        "due_at": planned.due_at,
        "remind_at": planned.remind_at,
        "missed_at": planned.missed_at,
        "sent_at": None,
        "reminded_at": None,
        "completed_at": None,
        "sent_late": False,
        "conversation": None,
        "tier": None,
        "recovery_score": None,
        "lease_owner": None,
        "lease_until": None,
    }
    if planned.due_at > now:
        return row
    row["sent_at"] = planned.due_at
    reminded = planned.remind_at is not None and planned.remind_at <= now
    row["reminded_at"] = planned.remind_at if reminded else None
    if planned.missed_at > now and rng.random() < 0.5:
        row["status"] = CheckInStatus.SENT  # the patient has not answered yet
        row["conversation"] = CheckInState(planned.pod, planned.kind).to_json()
    elif planned.missed_at <= now and rng.random() < 0.15:
        row["status"] = CheckInStatus.MISSED
    else:
        row["status"] = CheckInStatus.COMPLETED
        row["completed_at"] = planned.due_at + timedelta(minutes=rng.randint(2, 90))
        row["tier"] = "green"
        row["recovery_score"] = rng.randint(40, 95)
    return row


def asked_for_row(checkin_id: int, scheduled: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A check-in the patient started, hours after a scheduled one, answered at once."""
    asked = scheduled["completed_at"] + timedelta(hours=rng.randint(1, 8))  # within 9 h
    kind = rng.choice((CheckInKind.CONCERN, CheckInKind.EXTRA))
    return {
        **scheduled,
        "id": checkin_id,
        "kind": kind,
        "due_at": asked,
        "remind_at": None,
        "missed_at": asked + timedelta(hours=12),
        "sent_at": asked,
        "completed_at": asked + timedelta(minutes=5),
    }


def sent_message_row(
    message_id: int, chat: int, episode_id: int, row: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": message_id,
        "chat_id": chat,
        "method": "sendMessage",
        "payload": {"text": "Here is today's check-in."},
        "purpose": "checkin_intro",
        "priority": 5,
        "episode_id": episode_id,
        "alert_id": None,
        "checkin_id": row["id"],
        "status": OutboxStatus.SENT,
        "not_before": row["due_at"],
        "attempts": 1,
        "created_at": row["due_at"],
        "sent_at": row["due_at"],
        "lease_owner": None,
        "lease_until": None,
        "last_error": None,
        "uncertain_at": None,
        "telegram_message_id": message_id,
        "dedupe_key": None,
    }


def resolved_alert_row(alert_id: int, checkin: dict[str, Any]) -> dict[str, Any]:
    opened = checkin["completed_at"]
    return {
        "id": alert_id,
        "episode_id": checkin["episode_id"],
        "checkin_id": checkin["id"],
        "protocol_version_id": checkin["protocol_version_id"],
        "tier": "amber",
        "cause": "rule",
        "findings": [],
        "status": AlertStatus.RESOLVED,
        "opened_at": opened,
        "updated_at": opened + timedelta(hours=1),
        "acknowledged_at": opened + timedelta(minutes=10),
        "acknowledged_by": None,
        "resolved_at": opened + timedelta(hours=1),
        "resolved_by": None,
        "outcome": "advice",
        "clavien_dindo": None,
        "escalation": [],
        "escalation_step": 0,
        "next_escalation_at": None,
        "card_chat_id": None,
        "card_message_id": None,
    }
