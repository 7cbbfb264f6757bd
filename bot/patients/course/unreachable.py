"""A patient Telegram says is out of reach: no more writing to them, and the team is asked
to phone (an alert of its own)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.raising import follow_up_alert
from bot.delivery.outcomes import Classified
from db.models import (
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    OutboxMessage,
    OutboxStatus,
)


async def mark_unreachable(
    session: AsyncSession, message: OutboxMessage, verdict: Classified, now: datetime
) -> None:
    """Telegram says the patient's chat is gone: stop writing, ask the team to phone."""
    if message.episode_id is None or message.chat_id < 0:
        return  # a team chat's troubles are the operator's, not a patient's
    episode = await session.get_one(Episode, message.episode_id)
    if episode.status is EpisodeStatus.UNREACHABLE:
        return
    episode.status = EpisodeStatus.UNREACHABLE
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == message.chat_id, OutboxMessage.status == OutboxStatus.PENDING
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    await session.execute(
        update(CheckIn)
        .where(CheckIn.episode_id == episode.id, CheckIn.status == CheckInStatus.SCHEDULED)
        .values(status=CheckInStatus.CANCELLED)
    )
    await follow_up_alert(session, episode_id=episode.id, now=now, cause="unreachable")
