"""Console sessions, kept in the database: a browser's cookie holds a random token, the
table its hash.

A session ends after 15 minutes without a request the person made (the page refreshing
itself does not count), 12 hours after it began whatever happens, on sign-out, and the
moment its staff member is removed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.tokens import looks_like_token, new_token, token_hash
from db.audit import append
from db.models import ConsoleSession, Staff, TeamMember
from db.models import StaffRole as StaffRole  # the roles a page asks for, for the console

IDLE_LIMIT = timedelta(minutes=15)
LONGEST = timedelta(hours=12)


ENROLLING = frozenset({StaffRole.NURSE, StaffRole.ADMIN})


@dataclass(frozen=True)
class SignedIn:
    """Who a request comes from, as the session row and the staff table say now: their
    teams, with their role in each (read at every request, so a change applies at once)."""

    session_id: int
    staff_id: int
    name: str
    roles: Mapping[int, StaffRole]  # team id → their role in that team
    csrf_token: str

    @property
    def team_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def teams_as(self, *roles: StaffRole) -> frozenset[int]:
        """The teams in which they hold one of ``roles``."""
        return frozenset(team for team, role in self.roles.items() if role in roles)

    @property
    def is_admin(self) -> bool:
        """An admin of at least one team (the pages then show only those teams)."""
        return bool(self.teams_as(StaffRole.ADMIN))

    @property
    def may_enrol(self) -> bool:
        return bool(self.teams_as(*ENROLLING))

    @property
    def role_names(self) -> str:
        """Their roles, for the page's header: "nurse", or "nurse, admin"."""
        return ", ".join(sorted({role.value for role in self.roles.values()}))


async def begin(session: AsyncSession, staff: Staff, now: datetime) -> str:
    """Open a session for ``staff``; the token for the cookie (only its hash is kept)."""
    token = new_token()
    session.add(
        ConsoleSession(
            token_hash=token_hash(token),
            staff_id=staff.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + LONGEST,
        )
    )
    await session.flush()
    return token


async def resume(
    session: AsyncSession, token: str, now: datetime, *, by_person: bool
) -> SignedIn | None:
    """The session the cookie's token names, if it is still open; a request the person made
    (``by_person``) keeps it from going idle."""
    if not looks_like_token(token):
        return None
    row = (
        await session.execute(
            select(ConsoleSession, Staff)
            .join(Staff, Staff.id == ConsoleSession.staff_id)
            .where(ConsoleSession.token_hash == token_hash(token))
        )
    ).first()
    if row is None:
        return None
    held, staff = row
    if held.ended_at is not None:
        return None
    ending = _why_over(held, staff, now)
    if ending is not None:
        held.ended_at = now
        await _audit(session, staff.id, now, "console.session_end", ending)
        return None
    if by_person:
        held.last_seen_at = now
    roles = (
        await session.execute(
            select(TeamMember.team_id, TeamMember.role).where(TeamMember.staff_id == staff.id)
        )
    ).all()
    team_roles = {team_id: role for team_id, role in roles}
    return SignedIn(held.id, staff.id, staff.name, team_roles, held.csrf_token)


async def end(session: AsyncSession, signed_in: SignedIn, now: datetime) -> None:
    """Sign out: the session's cookie opens nothing from now on."""
    await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == signed_in.session_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    await _audit(session, signed_in.staff_id, now, "console.sign_out", "done")


def _why_over(held: ConsoleSession, staff: Staff, now: datetime) -> str | None:
    if not staff.active:
        return "staff_removed"
    if now >= held.expires_at:
        return "longest"
    if now - held.last_seen_at >= IDLE_LIMIT:
        return "idle"
    return None


async def _audit(
    session: AsyncSession, staff_id: int, now: datetime, action: str, outcome: str
) -> None:
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{staff_id}",
        action=action,
        outcome=outcome,
        origin="console",
    )
