"""Care teams as configuration: add one, list them, or apply a whole teams file with their
escalation chains. Every change is audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.chains import ChainRefused, replace_chain, reset_chain
from db.audit import append
from db.models import Team
from flows import Tier
from flows.escalation import DEFAULT_CHAINS, ChainStep


class TeamRefused(Exception):
    """The team change cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class TeamSetup:
    """A team as a teams file gives it: a tier without a chain runs the default one."""

    name: str
    chat_id: int | None = None
    timezone: str = "UTC"
    chains: Mapping[Tier, Sequence[ChainStep]] = field(default_factory=dict)


async def add_team(
    session: AsyncSession,
    *,
    name: str,
    chat_id: int | None,
    timezone: str,
    now: datetime,
    actor: str,
) -> int:
    """Add team ``name``; returns its id."""
    row = Team(name=name, chat_id=chat_id, timezone=timezone, created_at=now)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise TeamRefused(f"a team named {name!r} or with that chat id exists") from None
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="team.add",
        origin="cli",
        detail={"team": name},
    )
    return row.id


async def teams(session: AsyncSession) -> list[dict[str, Any]]:
    """The care teams by name."""
    rows = await session.scalars(select(Team).order_by(Team.name))
    return [
        {"id": t.id, "name": t.name, "chat_id": t.chat_id, "timezone": t.timezone} for t in rows
    ]


async def apply_teams(
    session: AsyncSession, setups: Sequence[TeamSetup], *, source: str, now: datetime, actor: str
) -> list[str]:
    """Create or update each team and replace its escalation chains; returns their names.

    Alerts already open keep the chain they opened with.
    """
    done = []
    try:
        for setup in setups:
            row = await session.scalar(select(Team).where(Team.name == setup.name))
            if row is None:
                row = Team(name=setup.name, created_at=now, timezone=setup.timezone)
                session.add(row)
            row.chat_id, row.timezone = setup.chat_id, setup.timezone
            await session.flush()
            for tier in DEFAULT_CHAINS:
                await reset_chain(session, row.id, tier)
            for tier, chain in setup.chains.items():
                try:
                    await replace_chain(session, row.id, tier, chain)
                except ChainRefused as error:
                    raise TeamRefused(f"team {setup.name!r}, {error}") from None
            done.append(setup.name)
    except IntegrityError:
        raise TeamRefused("two teams share a chat id") from None
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="team.apply",
        origin="cli",
        detail={"teams": done, "file": source},
    )
    return done
