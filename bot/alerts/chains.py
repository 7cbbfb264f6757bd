"""A care team's own escalation chains as stored, and the time zone their daytime is read in.

A tier without stored steps runs the default chain. Replacing or resetting a chain changes
the alerts opened from then on; an alert already open keeps its snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import append
from db.models import Alert, Episode, EscalationStep, Team
from flows import Tier
from flows.chains import check_chain, format_step
from flows.escalation import DEFAULT_CHAINS, ChainStep


class ChainRefused(Exception):
    """The chain cannot be stored as asked; the message says why."""


async def stored_chain(session: AsyncSession, team_id: int, tier: Tier) -> tuple[ChainStep, ...]:
    """The team's own chain for ``tier``; empty when it runs the default one."""
    rows = await session.scalars(
        select(EscalationStep)
        .where(EscalationStep.team_id == team_id, EscalationStep.tier == tier)
        .order_by(EscalationStep.position)
    )
    return tuple(
        ChainStep(r.after_seconds, r.notify, r.repeat_every_seconds, r.daytime) for r in rows
    )


async def replace_chain(
    session: AsyncSession, team_id: int, tier: Tier, chain: Sequence[ChainStep]
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
            tier=tier,
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
        delete(EscalationStep).where(EscalationStep.team_id == team_id, EscalationStep.tier == tier)
    )


async def team_chains(
    session: AsyncSession,
    team_name: str,
    tiers: Sequence[Tier],
    *,
    steps: Sequence[ChainStep] = (),
    reset: bool = False,
    now: datetime,
    actor: str,
) -> dict[str, Any]:
    """The team's chains for ``tiers``, after replacing the first tier's with ``steps`` or
    resetting every one of ``tiers`` to the default, when asked (audited)."""
    team = await session.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        raise ChainRefused(f"no team named {team_name!r} (see `eras team list`)")
    if steps or reset:
        action, detail = await _change(session, team, tiers, steps)
        await append(
            session,
            at=now,
            actor_kind="cli",
            actor_ref=actor,
            action=action,
            origin="cli",
            detail={"team": team.name, "tiers": [t.value for t in tiers], **detail},
        )
    rows = []
    for tier in tiers:
        own = await stored_chain(session, team.id, tier)
        shown = own or DEFAULT_CHAINS[tier]
        rows.append(
            {
                "tier": tier.value,
                "default": not own,
                "steps": [step.to_json() for step in shown],
                "text": [format_step(step) for step in shown],
            }
        )
    return {"team": team.name, "timezone": team.timezone, "chains": rows}


async def _change(
    session: AsyncSession, team: Team, tiers: Sequence[Tier], steps: Sequence[ChainStep]
) -> tuple[str, dict[str, Any]]:
    """Replace the first tier's chain with ``steps``, or reset ``tiers`` when there are none."""
    if steps:
        await replace_chain(session, team.id, tiers[0], steps)
        return "team.chain", {"steps": [format_step(step) for step in steps]}
    for tier in tiers:
        await reset_chain(session, team.id, tier)
    return "team.chain_reset", {}


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
