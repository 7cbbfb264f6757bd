"""Erasing a patient's messages and the team's notes with their record: the rows go, and
the cards that showed the patient's words, photo or voice in the team's group are deleted
where they were delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from db.models import CareNote, OutboxMessage, OutboxStatus, PatientMessage

# The outbox's purposes that show what a patient wrote: a card, and the words sent to them.
SHOWS_THE_WORDS = ("message_card", "care_team_message")


async def words_of(session: AsyncSession, episodes: Sequence[int]) -> list[str]:
    """Everything written in these episodes' messages and notes (to find it elsewhere, in
    the stored updates that carried it)."""
    messages = await session.scalars(
        select(PatientMessage.text).where(
            PatientMessage.episode_id.in_(episodes), PatientMessage.text.is_not(None)
        )
    )
    notes = await session.scalars(select(CareNote.text).where(CareNote.episode_id.in_(episodes)))
    return [text for text in (*messages, *notes) if text]


async def erase_correspondence(
    session: AsyncSession, episodes: Sequence[int], now: datetime
) -> None:
    cards = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.telegram_message_id).where(
            OutboxMessage.episode_id.in_(episodes),
            OutboxMessage.purpose == "message_card",
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.telegram_message_id.is_not(None),
        )
    )
    for chat_id, message_id in cards.tuples():
        # Not tied to the episode: the erasure drops or empties the episode's messages.
        enqueue(
            session,
            chat_id=chat_id,
            now=now,
            purpose="message_card_erased",
            method="deleteMessage",
            payload={"message_id": message_id},
            priority=PRIORITY_ALERT,
        )
    await session.execute(delete(PatientMessage).where(PatientMessage.episode_id.in_(episodes)))
    await session.execute(delete(CareNote).where(CareNote.episode_id.in_(episodes)))
