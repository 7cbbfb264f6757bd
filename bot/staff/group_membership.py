"""Who still reads a team's group: the group's membership is the hospital's to manage, and
the Bot API gives no list of members, so once a day each removed staff member the bot ever
linked is looked up, by ``getChatMember``, in every team's group; one still in it is
reported to that team's admins (or its group, when no admin has linked an account)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.staff.admins import tell_admins
from db.models import Staff, Team

log = logging.getLogger(__name__)

# Asks Telegram whether a user is in a chat; None when Telegram would not say.
IsMember = Callable[[int, int], Awaitable[bool | None]]

STILL_IN_GROUP = (
    "{name} was removed from the care team's staff but is still a member of the group "
    "{team!r}, where new alert cards are posted. Please remove them from the group in "
    "Telegram (group info → Members)."
)


async def report_removed_members(
    sessions: async_sessionmaker[AsyncSession], now: datetime, is_member: IsMember
) -> int:
    """Look up each removed, once linked staff member in each team's group; report those
    still in one (once a day). How many were still in a group."""
    async with sessions() as session:
        removed = list(
            await session.execute(
                select(Staff.id, Staff.name, Staff.telegram_user_id).where(
                    Staff.active.is_(False), Staff.telegram_user_id.is_not(None)
                )
            )
        )
        groups = list(
            await session.execute(
                select(Team.id, Team.name, Team.chat_id).where(Team.chat_id.is_not(None))
            )
        )
    found = 0
    for staff_id, name, user_id in removed:
        for team_id, team_name, chat_id in groups:
            if not await is_member(chat_id, user_id):
                continue
            found += 1
            log.warning("removed staff %s is still in the group of team %s", staff_id, team_id)
            async with sessions.begin() as session:
                await _report(session, now, staff_id, name, team_id, team_name)
    return found


async def _report(
    session: AsyncSession, now: datetime, staff_id: int, name: str, team_id: int, team: str
) -> None:
    await tell_admins(
        session,
        now,
        STILL_IN_GROUP.format(name=name, team=team),
        purpose="removed_staff_in_group",
        dedupe_key=f"removed-in-group:{team_id}:{staff_id}:{now.date().isoformat()}",
        team_id=team_id,
    )
