"""Is the bot doing its job? What a monitor (or a person) needs to answer that.

Healthy means: the dispatcher ticked recently, nothing waits in the outbox for long, and
no unacknowledged alert is past its escalation time without having been escalated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Alert, AlertStatus, OutboxMessage, OutboxStatus

# Generous against a 5 s tick and a sender woken at once: past these, something is wrong.
TICK_LATE = timedelta(minutes=2)
OUTBOX_LATE = timedelta(minutes=5)
ESCALATION_LATE = timedelta(minutes=2)


async def health_report(
    sessions: async_sessionmaker[AsyncSession], now: datetime, last_tick: datetime | None
) -> dict[str, Any]:
    async with sessions() as session:
        backlog, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                    OutboxMessage.not_before <= now,
                )
            )
        ).one()
        stuck = await session.scalar(
            select(func.count()).where(
                Alert.status != AlertStatus.RESOLVED,
                Alert.next_escalation_at < now - ESCALATION_LATE,
            )
        )
    waited = (now - oldest).total_seconds() if oldest is not None else 0.0
    problems = []
    if last_tick is None or now - last_tick > TICK_LATE:
        problems.append("the dispatcher has not ticked recently")
    if waited > OUTBOX_LATE.total_seconds():
        problems.append("messages are waiting in the outbox")
    if stuck:
        problems.append("alerts are past their escalation time")
    return {
        "ok": not problems,
        "problems": problems,
        "last_tick_at": last_tick.isoformat() if last_tick else None,
        "outbox_backlog": int(backlog),
        "oldest_unsent_seconds": round(waited, 1),
        "stuck_escalations": int(stuck or 0),
    }
