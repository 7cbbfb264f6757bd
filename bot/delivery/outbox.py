"""The outbox: messages are rows written with the change that causes them, then sent.

A use case adds its messages to its own transaction with ``enqueue``; they exist once that
transaction commits, and the sender (``sender.py``) delivers them under Telegram's limits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage, OutboxStatus

# Lower goes first: what keeps a patient safe before anything else.
PRIORITY_EMERGENCY = 0
PRIORITY_ALERT = 1
PRIORITY_CONVERSATION = 3
PRIORITY_ROUTINE = 5


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    now: datetime,
    purpose: str,
    payload: dict[str, Any],
    method: str = "sendMessage",
    priority: int = PRIORITY_ROUTINE,
    episode_id: int | None = None,
    alert_id: int | None = None,
    checkin_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the caller's transaction; it goes when that transaction commits."""
    message = OutboxMessage(
        chat_id=chat_id,
        method=method,
        payload=payload,
        purpose=purpose,
        priority=priority,
        episode_id=episode_id,
        alert_id=alert_id,
        checkin_id=checkin_id,
        status=OutboxStatus.PENDING,
        not_before=not_before or now,
        attempts=0,
        created_at=now,
        dedupe_key=dedupe_key,
    )
    session.add(message)
    return message
