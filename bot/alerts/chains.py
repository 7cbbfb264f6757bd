"""A care team's own escalation chains as stored, and the time zone their daytime is read in.

A tier without stored steps runs the default chain. Replacing or resetting a chain changes
the alerts opened from then on; an alert already open keeps its snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Episode, EscalationStep, Team
from flows import Tier
from flows.chains import check_chain
from flows.escalation import Step


class ChainRefused(Exception):
    """The chain cannot be stored as asked; the message says why."""


async def stored_chain(session: AsyncSession, team_id: int, tier: Tier) -> tuple[Step, ...]:
    """The team's own chain for ``tier``; empty when it runs the default one."""
    rows = await session.scalars(
        select(EscalationStep)
        .where(EscalationStep.team_id == team_id, EscalationStep.tier == tier.value)
        .order_by(EscalationStep.position)
    )
    return tuple(Step(r.after_seconds, r.notify, r.repeat_every_seconds, r.daytime) for r in rows)


async def replace_chain(
    session: AsyncSession, team_id: int, tier: Tier, chain: Sequence[Step]
) -> None:
    """Store ``chain`` as the team's chain for ``tier`` (ChainRefused when it cannot be)."""
    try:
        check_chain(chain)
    except ValueError as error:
        raise ChainRefused(f"{tier.value}: {error}") from None
    await reset_chain(session, team_id, tier)
    session.add_all(
        EscalationStep(
            team_id=team_id,
            tier=tier.value,
            position=position,
            after_seconds=step.after_seconds,
            notify=step.notify,
            repeat_every_seconds=step.repeat_every_seconds,
            daytime=step.daytime,
        )
        for position, step in enumerate(chain)
    )
    await session.flush()


async def reset_chain(session: AsyncSession, team_id: int, tier: Tier) -> None:
    """Back to the default chain for ``tier``."""
    await session.execute(
        delete(EscalationStep).where(
            EscalationStep.team_id == team_id, EscalationStep.tier == tier.value
        )
    )


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
