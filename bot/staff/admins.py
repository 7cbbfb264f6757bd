"""Telling the admins something only they can act on (a flood of wrong links, a removed
member still in a team's group), through the outbox like every message that matters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import enqueue
from bot.telegram.render.patient import message
from db.models import OutboxMessage, Staff, StaffRole, Team, TeamMember


async def tell_admins(
    session: AsyncSession,
    now: datetime,
    text: str,
    *,
    purpose: str,
    dedupe_key: str,
    team_id: int | None = None,
) -> int:
    """Write ``text`` to the linked admins (of ``team_id``, or of every team) in their
    direct chats; when none has linked an account, to the teams' groups instead. Once per
    ``dedupe_key`` and chat. How many chats were written to now."""
    admins = (
        select(Staff.telegram_user_id)
        .join(TeamMember, TeamMember.staff_id == Staff.id)
        .where(
            TeamMember.role == StaffRole.ADMIN,
            Staff.active.is_(True),
            Staff.telegram_user_id.is_not(None),
        )
    )
    groups = select(Team.chat_id).where(Team.chat_id.is_not(None))
    if team_id is not None:
        admins = admins.where(TeamMember.team_id == team_id)
        groups = groups.where(Team.id == team_id)
    chats = [c for c in await session.scalars(admins.distinct()) if c is not None]
    if not chats:
        chats = [c for c in await session.scalars(groups) if c is not None]
    written = 0
    for chat_id in chats:
        key = f"{dedupe_key}:{chat_id}"[:120]
        if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        try:
            # Another process may write the same warning at the same moment: its row
            # stands, and the caller's work must not fall with this one.
            async with session.begin_nested():
                enqueue(
                    session,
                    chat_id=chat_id,
                    now=now,
                    purpose=purpose,
                    payload=message(text),
                    dedupe_key=key,
                )
        except IntegrityError:
            continue
        written += 1
    return written
