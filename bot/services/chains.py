"""A care team's own escalation chains as stored, and the time zone their daytime is read in.

A tier without stored steps runs the default chain.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Episode, EscalationStep, Team
from flows import Tier
from flows.escalation import Step


async def stored_chain(session: AsyncSession, team_id: int, tier: Tier) -> tuple[Step, ...]:
    """The team's own chain for ``tier``; empty when it runs the default one."""
    rows = await session.scalars(
        select(EscalationStep)
        .where(EscalationStep.team_id == team_id, EscalationStep.tier == tier.value)
        .order_by(EscalationStep.position)
    )
    return tuple(Step(r.after_seconds, r.notify, r.repeat_every_seconds) for r in rows)


async def team_zone(session: AsyncSession, team_id: int) -> ZoneInfo:
    """The team's time zone: daytime-only steps count its wall clock's 08:00–22:00."""
    return ZoneInfo((await session.get_one(Team, team_id)).timezone)


async def alert_zone(session: AsyncSession, alert: Alert) -> ZoneInfo:
    """The time zone of the team that follows the alert's patient."""
    name = await session.scalar(
        select(Team.timezone)
        .join(Episode, Episode.team_id == Team.id)
        .where(Episode.id == alert.episode_id)
    )
    assert name is not None  # every episode has a team
    return ZoneInfo(name)
