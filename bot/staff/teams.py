"""Care teams as configuration: add one, list them, or apply a whole teams file with their
escalation chains. Every change is audited."""

from __future__ import annotations

import re
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


# A number a patient dials (112, 061, +34 913 000 000): digits, spaces, dashes, a leading +.
_NUMBER = re.compile(r"\+?[0-9][0-9 -]{1,19}")


def phone_number(value: str | None, what: str = "emergency number") -> str | None:
    """``value`` as a number a patient can dial, or None when not given; TeamRefused when it
    is not one (the patient is told to call it: never store a guess)."""
    if value is None or not value.strip():
        return None
    if not _NUMBER.fullmatch(value.strip()):
        raise TeamRefused(f"{what}: not a phone number: {value!r} (digits, spaces, dashes, +)")
    return value.strip()


@dataclass(frozen=True)
class TeamSetup:
    """A team as a teams file gives it: a tier without a chain runs the default one."""

    name: str
    chat_id: int | None = None
    timezone: str = "UTC"
    chains: Mapping[Tier, Sequence[ChainStep]] = field(default_factory=dict)
    emergency_number: str | None = None  # None: the site's default (ERAS_EMERGENCY_NUMBER)
    phone: str | None = None


async def add_team(
    session: AsyncSession,
    *,
    name: str,
    chat_id: int | None,
    timezone: str,
    now: datetime,
    actor: str,
    emergency_number: str | None = None,
    phone: str | None = None,
) -> int:
    """Add team ``name``; returns its id."""
    row = Team(
        name=name,
        chat_id=chat_id,
        timezone=timezone,
        emergency_number=phone_number(emergency_number),
        phone=phone_number(phone, "phone"),
        created_at=now,
    )
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
        {
            "id": t.id,
            "name": t.name,
            "chat_id": t.chat_id,
            "timezone": t.timezone,
            "emergency_number": t.emergency_number,
            "phone": t.phone,
        }
        for t in rows
    ]


async def set_contact(
    session: AsyncSession,
    name: str,
    *,
    emergency_number: str | None,
    phone: str | None,
    now: datetime,
    actor: str,
    keep: frozenset[str] = frozenset(),
) -> Team:
    """Set a team's emergency number and phone; None clears one (the number falls back to
    the site's default). A field named in ``keep`` is left as it is."""
    team = await session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise TeamRefused(f"no team named {name!r} (see `eras team list`)")
    if "emergency_number" not in keep:
        team.emergency_number = phone_number(emergency_number)
    if "phone" not in keep:
        team.phone = phone_number(phone, "phone")
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="team.contact",
        origin="cli",
        detail={"team": team.name, "emergency_number": team.emergency_number, "phone": team.phone},
    )
    return team


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
            try:
                row.emergency_number = phone_number(setup.emergency_number)
                row.phone = phone_number(setup.phone, "phone")
            except TeamRefused as error:
                raise TeamRefused(f"team {setup.name!r}, {error}") from None
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
