"""Is the bot doing its job? What a monitor (or a person) needs to answer that.

Healthy means: the dispatcher ticked recently, nothing waits in the outbox for long, no
unacknowledged alert is past its escalation time without having been escalated, and no
update from Telegram was set aside in the last day because its handler kept failing.

Messages left *uncertain* (sent in doubt as often as the outbox allows) are counted for a
person to look at, but do not make the bot unhealthy: a check-in question that did not
arrive ends as a missed check-in, and an alert card that did not arrive keeps escalating.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox.updates import HANDLER_FAILED
from bot.reports.doctor.setup import setup_findings
from db.models import (
    Alert,
    AlertStatus,
    Heartbeat,
    InboxUpdate,
    OutboxMessage,
    OutboxStatus,
)

# Generous against a 5 s tick and a sender woken at once: past these, something is wrong.
TICK_LATE = timedelta(minutes=2)
OUTBOX_LATE = timedelta(minutes=5)
ESCALATION_LATE = timedelta(minutes=2)
FORGET = timedelta(days=1)


async def beat(
    sessions: async_sessionmaker[AsyncSession],
    owner: str,
    mode: str,
    started_at: datetime,
    now: datetime,
) -> None:
    """Record that ``owner`` ticked at ``now``."""
    async with sessions.begin() as session:
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            insert(Heartbeat)
            .values(owner=owner, mode=mode, started_at=started_at, last_tick_at=now)
            .on_conflict_do_update(
                index_elements=[Heartbeat.owner],
                set_={"mode": mode, "started_at": started_at, "last_tick_at": now},
            )
        )
        # Processes long gone (restarts get a new pid) are no news.
        await session.execute(delete(Heartbeat).where(Heartbeat.last_tick_at < now - FORGET))


async def health_report(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    owner: str | None = None,
    *,
    emergency_number: str | None,
) -> dict[str, Any]:
    """The figures, and what is wrong; judged on ``owner``'s own tick when given (a process
    asked about itself), else on the newest tick of any process.

    ``misconfigured`` lists the setup's findings that the database shows (a team without a
    group, an escalation step that tells nobody); Telegram is not asked on a probe:
    ``eras doctor`` does that."""
    async with sessions() as session:
        misconfigured = await setup_findings(session, emergency_number)
        beats = list(await session.scalars(select(Heartbeat).order_by(Heartbeat.owner)))
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
        uncertain = await session.scalar(
            select(func.count()).where(
                OutboxMessage.status == OutboxStatus.UNCERTAIN,
                OutboxMessage.uncertain_at >= now - FORGET,
            )
        )
        set_aside = await session.scalar(
            select(func.count()).where(
                InboxUpdate.error == HANDLER_FAILED,
                InboxUpdate.processed_at >= now - FORGET,
            )
        )
    mine = [b.last_tick_at for b in beats if owner is None or b.owner == owner]
    last_tick = max(mine, default=None)
    waited = (now - oldest).total_seconds() if oldest is not None else 0.0
    problems = []
    if last_tick is None or now - last_tick > TICK_LATE:
        problems.append("the dispatcher has not ticked recently")
    if waited > OUTBOX_LATE.total_seconds():
        problems.append("messages are waiting in the outbox")
    if stuck:
        problems.append("alerts are past their escalation time")
    if set_aside:
        problems.append("updates were set aside after their handler kept failing")
    return {
        "ok": not problems,
        "problems": problems,
        "last_tick_at": last_tick.isoformat() if last_tick else None,
        "outbox_backlog": int(backlog),
        "oldest_unsent_seconds": round(waited, 1),
        "stuck_escalations": int(stuck or 0),
        "uncertain_last_day": int(uncertain or 0),
        "set_aside_last_day": int(set_aside or 0),
        "misconfigured": [finding.text for finding in misconfigured],
        "processes": [
            {"owner": b.owner, "mode": b.mode, "last_tick_at": b.last_tick_at.isoformat()}
            for b in beats
        ],
    }
