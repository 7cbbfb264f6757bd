"""/digest: the digest of each of a staff member's teams, in their direct chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import refuse
from bot.delivery.outbox import enqueue
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.digest import team_digest
from bot.staff.views import NOT_STAFF, staff_member
from bot.telegram.render.digest import digest_text
from bot.telegram.render.patient import message
from db.audit import append
from db.models import Team, TeamMember

NO_TEAM = "You are not a member of any care team yet."


async def send_digests(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    chat_id: int,
    telegram_user_id: int,
    now: datetime,
) -> None:
    """Answer ``/digest`` in ``chat_id``."""
    for text in await digests_for(session, catalogue, telegram_user_id, now):
        enqueue(session, chat_id=chat_id, now=now, purpose="reply", payload=message(text))


async def digests_for(
    session: AsyncSession, catalogue: ProtocolCatalogue, telegram_user_id: int, now: datetime
) -> list[str]:
    """One message per team of the staff member; a refusal to anyone else. Both audited."""
    member = await staff_member(session, telegram_user_id)
    if member is None:
        await refuse(session, telegram_user_id=telegram_user_id, action="digest.view", now=now)
        return [NOT_STAFF]
    teams = list(
        await session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(TeamMember.staff_id == member.id)
            .order_by(Team.name)
        )
    )
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{member.id}",
        action="digest.view",
        origin="telegram",
        detail={"teams": [team.id for team in teams]},
    )
    if not teams:
        return [NO_TEAM]
    return [digest_text(await team_digest(session, catalogue, team, now)) for team in teams]
