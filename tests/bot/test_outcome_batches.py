"""Outcomes written together: one statement per kind of outcome, and each row gets its own
values, only where this sender still holds the message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.outbox import enqueue
from bot.delivery.outcomes import Classified, Outcome
from bot.delivery.settling import DeliveryHooks, OutcomeWriter, settle
from db.models import OutboxMessage, OutboxStatus

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ME, OTHER = "host:1", "host:2"


async def _claimed(sessions: async_sessionmaker[AsyncSession], owners: list[str]) -> list[int]:
    async with sessions.begin() as session:
        rows = [
            enqueue(session, chat_id=100 + n, now=NOW, purpose="test", payload={"text": "hi"})
            for n in range(len(owners))
        ]
        await session.flush()
        for row, owner in zip(rows, owners, strict=True):
            row.status, row.lease_owner = OutboxStatus.SENDING, owner
            row.lease_until, row.attempts = NOW + timedelta(minutes=1), 1
        return [row.id for row in rows]


async def test_a_batch_of_mixed_outcomes_gives_each_row_its_own(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _claimed(sessions, [ME, ME, ME, OTHER])
    async with sessions() as session:
        rows = {row.id: row for row in await session.scalars(select(OutboxMessage))}
    delivered = Classified(Outcome.DELIVERED, "ok")
    retry = Classified(Outcome.RETRY, "429", retry_after=7)
    settled = [
        settle(rows[ids[0]], delivered, 501, DeliveryHooks(), NOW),
        settle(rows[ids[1]], delivered, 502, DeliveryHooks(), NOW + timedelta(seconds=1)),
        settle(rows[ids[2]], retry, None, DeliveryHooks(), NOW),
        settle(rows[ids[3]], delivered, 504, DeliveryHooks(), NOW),  # taken over meanwhile
    ]

    written = await OutcomeWriter(sessions, ME)(settled)

    assert written == [True, True, True, False]
    async with sessions() as session:
        after = {row.id: row for row in await session.scalars(select(OutboxMessage))}
    first, second, third, fourth = (after[i] for i in ids)
    assert (first.status, first.telegram_message_id, first.sent_at) == (
        OutboxStatus.SENT,
        501,
        NOW,
    )
    assert (second.status, second.telegram_message_id, second.sent_at) == (
        OutboxStatus.SENT,
        502,
        NOW + timedelta(seconds=1),
    )
    assert first.lease_owner is None and second.lease_owner is None
    assert (third.status, third.not_before, third.last_error) == (
        OutboxStatus.PENDING,
        NOW + timedelta(seconds=7),
        "429",
    )
    assert third.telegram_message_id is None
    assert (fourth.status, fourth.lease_owner, fourth.telegram_message_id) == (
        OutboxStatus.SENDING,
        OTHER,
        None,
    )
