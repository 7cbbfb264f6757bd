"""Which teams a staff member acts for, with their role in each: join another team, change a
role, leave one team, and come back after a removal. Every change is audited and takes
effect on the next button press or console request (both read the memberships each time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import tokens
from bot.staff.registry import StaffRefused, find_staff, free_account, team_named
from db.audit import append
from db.models import LinkToken, Staff, StaffRole, Team, TeamMember, TokenPurpose


@dataclass(frozen=True)
class Membership:
    staff: Staff
    team: Team
    role: StaffRole
    on_call: bool


async def join_team(
    session: AsyncSession,
    who: str,
    team_name: str,
    role: StaffRole,
    *,
    on_call: bool,
    now: datetime,
    actor: str,
) -> Membership:
    """Add a staff member to another team, with their role there."""
    team = await team_named(session, team_name)
    member = await find_staff(session, who)
    if not member.active:
        raise StaffRefused(f"{member.name} (id {member.id}) was removed: `eras staff relink` first")
    if await session.get(TeamMember, (team.id, member.id)) is not None:
        raise StaffRefused(
            f"{member.name} (id {member.id}) is already in team {team.name!r} "
            f"(`eras staff set-role` changes their role there)"
        )
    session.add(TeamMember(team_id=team.id, staff_id=member.id, role=role, on_call=on_call))
    await _audit(session, now, actor, "staff.join", member, team, role=role.value, on_call=on_call)
    return Membership(member, team, role, on_call)


async def set_role(
    session: AsyncSession, who: str, team_name: str, role: StaffRole, *, now: datetime, actor: str
) -> Membership:
    """Change a staff member's role in one team; their other teams keep theirs."""
    team = await team_named(session, team_name)
    member = await find_staff(session, who, team)
    membership = await _membership(session, member, team)
    was = membership.role
    membership.role = role
    await _audit(session, now, actor, "staff.role", member, team, role=role.value, was=was.value)
    return Membership(member, team, role, membership.on_call)


async def leave_team(
    session: AsyncSession, who: str, team_name: str, *, now: datetime, actor: str
) -> Membership:
    """Take a staff member out of one team: they can no longer act for it, at once. Their
    last team is refused: `eras staff remove` is for someone who leaves altogether."""
    team = await team_named(session, team_name)
    member = await find_staff(session, who, team)
    membership = await _membership(session, member, team)
    teams = await session.scalar(
        select(func.count()).select_from(TeamMember).where(TeamMember.staff_id == member.id)
    )
    if teams == 1:
        raise StaffRefused(
            f"{team.name!r} is the only team of {member.name} (id {member.id}): "
            f"`eras staff remove {member.id}` if they leave altogether"
        )
    gone = Membership(member, team, membership.role, membership.on_call)
    await session.execute(
        delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.staff_id == member.id)
    )
    await _audit(session, now, actor, "staff.leave", member, team, role=gone.role.value)
    return gone


@dataclass(frozen=True)
class Relinked:
    staff: Staff
    token: str | None  # None when the Telegram id was given directly
    reinstated: bool  # they had been removed
    teams: list[tuple[str, StaffRole]]


async def relink_staff(
    session: AsyncSession,
    who: str,
    *,
    telegram_id: int | None,
    now: datetime,
    actor: str,
) -> Relinked:
    """Link a staff member's Telegram account again: someone removed who came back (their
    teams and roles are as they were), or someone with a new phone. Their old account and
    any unused link stop working; a new one-time link is issued unless ``telegram_id``."""
    member = await find_staff(session, who, include_removed=True)
    reinstated = not member.active
    member.active = True
    member.telegram_user_id = None
    await session.flush()
    await session.execute(
        update(LinkToken)
        .where(
            LinkToken.staff_id == member.id,
            LinkToken.used_at.is_(None),
            LinkToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    token = None
    if telegram_id is None:
        token = await tokens.issue(session, TokenPurpose.STAFF, now, staff_id=member.id)
    else:
        await free_account(session, telegram_id, now=now)
        member.telegram_user_id = telegram_id
    teams = [
        (name, role)
        for name, role in (
            await session.execute(
                select(Team.name, TeamMember.role)
                .join(TeamMember, TeamMember.team_id == Team.id)
                .where(TeamMember.staff_id == member.id)
                .order_by(Team.name)
            )
        ).all()
    ]
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="staff.relink",
        origin="cli",
        detail={"staff": member.id, "reinstated": reinstated, "direct": telegram_id is not None},
    )
    return Relinked(member, token, reinstated, teams)


async def role_in(session: AsyncSession, staff_id: int, team_id: int) -> StaffRole | None:
    """The staff member's role in the team; None when they are not in it."""
    role: StaffRole | None = await session.scalar(
        select(TeamMember.role).where(
            TeamMember.staff_id == staff_id, TeamMember.team_id == team_id
        )
    )
    return role


async def _membership(session: AsyncSession, member: Staff, team: Team) -> TeamMember:
    membership = await session.get(TeamMember, (team.id, member.id))
    if membership is None:
        raise StaffRefused(f"{member.name} (id {member.id}) is not in team {team.name!r}")
    return membership


async def _audit(
    session: AsyncSession,
    now: datetime,
    actor: str,
    action: str,
    member: Staff,
    team: Team,
    **detail: Any,
) -> None:
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action=action,
        origin="cli",
        detail={"staff": member.id, "team": team.name, **detail},
    )
