"""Staff as configuration: who they are, which teams they act for and are on call for, their
Telegram link, and their removal when they leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import tokens
from db.audit import append
from db.models import LinkToken, Staff, Team, TeamMember, TokenPurpose
from db.models import StaffRole as StaffRole  # the roles add_staff takes, for its callers


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
    team = await team_named(session, team_name)
    if telegram_id is not None:
        await free_account(session, telegram_id, now=now)
    member = Staff(name=name, telegram_user_id=telegram_id, active=True, created_at=now)
    session.add(member)
    await session.flush()
    session.add(TeamMember(team_id=team.id, staff_id=member.id, role=role, on_call=on_call))
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
    """Link a staff member's Telegram account with their one-time token.

    An account a removed staff member held is free again (a person who left and came back
    links the same phone); one held by an active member is not.
    """
    if await session.scalar(
        select(Staff.id).where(Staff.telegram_user_id == telegram_user_id, Staff.active.is_(True))
    ):
        return None  # one account, one staff member
    redeemed = await tokens.redeem(session, token, TokenPurpose.STAFF, telegram_user_id, now)
    if redeemed is None or redeemed.staff_id is None:
        return None
    member = await session.get_one(Staff, redeemed.staff_id)
    if not member.active:
        return None  # removed after the link was printed
    await free_account(session, telegram_user_id, now=now, origin="telegram")
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


async def find_staff(
    session: AsyncSession, who: str, team: Team | None = None, *, include_removed: bool = False
) -> Staff:
    """The staff member ``who`` names: an id, or a name (any case) that only one active staff
    member has (or removed one, with ``include_removed``), within ``team`` when given;
    StaffRefused otherwise."""
    who = who.strip()
    if who.isdigit():
        found = await session.get(Staff, int(who))
        if found is None:
            raise StaffRefused(f"no staff member with id {who} (see `eras staff list`)")
        return found
    # Exact spelling, or the same in lower case (SQLite lowers ASCII letters only).
    same_name = or_(Staff.name == who, func.lower(Staff.name) == who.lower())
    query = select(Staff).where(same_name)
    if not include_removed:
        query = query.where(Staff.active.is_(True))
    where = ""
    if team is not None:
        query = query.join(TeamMember, TeamMember.staff_id == Staff.id).where(
            TeamMember.team_id == team.id
        )
        where = f" in team {team.name!r}"
    matches = list(await session.scalars(query.order_by(Staff.id)))
    if not matches:
        kind = "staff member" if include_removed else "active staff member"
        raise StaffRefused(f"no {kind} named {who!r}{where} (see `eras staff list`)")
    if len(matches) > 1:
        ids = ", ".join(str(m.id) for m in matches)
        raise StaffRefused(
            f"{len(matches)} staff members are named {who!r}{where} (ids {ids}): give the id"
        )
    return matches[0]


async def free_account(
    session: AsyncSession, telegram_user_id: int, *, now: datetime, origin: str = "cli"
) -> None:
    """Take a Telegram account off the removed staff member who held it, so that it can be
    linked again; StaffRefused when an active member holds it."""
    holder = await session.scalar(select(Staff).where(Staff.telegram_user_id == telegram_user_id))
    if holder is None:
        return
    if holder.active:
        raise StaffRefused("that Telegram account is already linked to a staff member")
    holder.telegram_user_id = None
    await session.flush()  # the unique account column is free before anyone takes it
    await append(
        session,
        at=now,
        actor_kind="system",
        actor_ref="staff.registry",
        action="staff.unlink",
        origin=origin,
        detail={"staff": holder.id, "reason": "account_linked_again"},
    )


@dataclass(frozen=True)
class StaffRemoved:
    staff: Staff
    links_revoked: int
    nobody_on_call: list[str]  # teams they were on call for, now with nobody on call


async def remove_staff(
    session: AsyncSession, who: str, *, now: datetime, actor: str
) -> StaffRemoved:
    """Deactivate a staff member: they can no longer act, link an account or be on call.

    Their rows stay (the audit trail and alert timelines name them); unused links die now.
    """
    member = await find_staff(session, who)
    if not member.active:
        raise StaffRefused(f"{member.name} (id {member.id}) was already removed")
    member.active = False
    revoked = await session.execute(
        update(LinkToken)
        .where(
            LinkToken.staff_id == member.id,
            LinkToken.used_at.is_(None),
            LinkToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    on_call = list(
        await session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.staff_id == member.id, TeamMember.on_call.is_(True))
            .order_by(Team.name)
        )
    )
    await session.execute(
        update(TeamMember).where(TeamMember.staff_id == member.id).values(on_call=False)
    )
    count: int = revoked.rowcount  # type: ignore[attr-defined]
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="staff.remove",
        origin="cli",
        detail={
            "staff": member.id,
            "links_revoked": count,
            "was_on_call_for": [team.name for team in on_call],
        },
    )
    uncovered = [team.name for team in on_call if not await on_call_for(session, team.id)]
    return StaffRemoved(member, count, uncovered)


async def set_on_call(
    session: AsyncSession, who: str, team_name: str, on_call: bool, *, now: datetime, actor: str
) -> list[tuple[Staff, StaffRole]]:
    """Put a team member on call for the team, or off; returns who is on call afterwards,
    with their role in the team."""
    team = await team_named(session, team_name)
    member = await find_staff(session, who, team)
    if not member.active:
        raise StaffRefused(f"{member.name} (id {member.id}) was removed and cannot be on call")
    membership = await session.get(TeamMember, (team.id, member.id))
    if membership is None:
        raise StaffRefused(f"{member.name} (id {member.id}) is not in team {team.name!r}")
    membership.on_call = on_call
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="staff.on_call",
        origin="cli",
        detail={"staff": member.id, "team": team.name, "on_call": on_call},
    )
    await session.flush()
    roles = {
        staff_id: role
        for staff_id, role in (
            await session.execute(
                select(TeamMember.staff_id, TeamMember.role).where(TeamMember.team_id == team.id)
            )
        ).all()
    }
    return [(s, roles[s.id]) for s in await on_call_for(session, team.id)]


async def on_call_for(session: AsyncSession, team_id: int) -> list[Staff]:
    """Active staff on call for the team: whom an on-call escalation step tells."""
    return list(
        await session.scalars(
            select(Staff)
            .join(TeamMember, TeamMember.staff_id == Staff.id)
            .where(
                TeamMember.team_id == team_id,
                TeamMember.on_call.is_(True),
                Staff.active.is_(True),
            )
            .order_by(Staff.name)
        )
    )


async def members(session: AsyncSession) -> list[dict[str, Any]]:
    """Staff with their teams (one row per team they are in), by team then name."""
    rows = (
        await session.execute(
            select(Staff, Team.name, TeamMember.role, TeamMember.on_call)
            .join(TeamMember, TeamMember.staff_id == Staff.id)
            .join(Team, Team.id == TeamMember.team_id)
            .order_by(Team.name, Staff.name)
        )
    ).all()
    return [
        {
            "id": s.id,
            "name": s.name,
            "role": role.value,
            "team": team,
            "on_call": on_call,
            "linked": s.telegram_user_id is not None,
            "active": s.active,
        }
        for s, team, role, on_call in rows
    ]


async def team_named(session: AsyncSession, name: str) -> Team:
    team = await session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise StaffRefused(f"no team named {name!r} (see `eras team list`)")
    return team
