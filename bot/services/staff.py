"""Staff as configuration: who they are, which teams they act for, and their Telegram link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import tokens
from db.audit import append
from db.models import Staff, StaffRole, Team, TeamMember, TokenPurpose


class StaffRefused(Exception):
    """The staff change cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class StaffAdded:
    staff_id: int
    token: str | None  # None when the Telegram id was given directly


async def add_staff(
    session: AsyncSession,
    *,
    name: str,
    role: StaffRole,
    team_name: str,
    on_call: bool,
    telegram_id: int | None,
    now: datetime,
    actor: str,
) -> StaffAdded:
    team = await session.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        raise StaffRefused(f"no team named {team_name!r} (see `eras team list`)")
    if telegram_id is not None and await session.scalar(
        select(Staff.id).where(Staff.telegram_user_id == telegram_id)
    ):
        raise StaffRefused("that Telegram account is already linked to a staff member")
    member = Staff(name=name, role=role, telegram_user_id=telegram_id, active=True, created_at=now)
    session.add(member)
    await session.flush()
    session.add(TeamMember(team_id=team.id, staff_id=member.id, on_call=on_call))
    token = None
    if telegram_id is None:
        token = await tokens.issue(session, TokenPurpose.STAFF, now, staff_id=member.id)
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="staff.add",
        origin="cli",
        detail={"staff": member.id, "role": role.value, "team": team.name, "on_call": on_call},
    )
    return StaffAdded(member.id, token)


async def link_staff(
    session: AsyncSession, token: str, telegram_user_id: int, now: datetime
) -> Staff | None:
    """Link a staff member's Telegram account with their one-time token."""
    if await session.scalar(select(Staff.id).where(Staff.telegram_user_id == telegram_user_id)):
        return None  # one account, one staff member
    redeemed = await tokens.redeem(session, token, TokenPurpose.STAFF, telegram_user_id, now)
    if redeemed is None or redeemed.staff_id is None:
        return None
    member = await session.get_one(Staff, redeemed.staff_id)
    member.telegram_user_id = telegram_user_id
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{member.id}",
        action="staff.link",
        origin="telegram",
    )
    return member
