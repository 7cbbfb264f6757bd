"""Which outbox messages a sender may take, and its hold on them while it sends.

Claims are leases, so a process that dies mid-batch does not strand its messages; on
PostgreSQL several senders share the table through ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update, bindparam, exists, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.delivery.outbox import PRIORITY_CONVERSATION
from bot.delivery.settling import MAX_DOUBTFUL_SENDS
from db.claims import Claim, anything_to_claim, claim_prepared, prepare
from db.models import OutboxMessage, OutboxStatus
from db.write_turns import SENDER, write_turn


class Leases:
    """One sender's claims on the outbox table."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], owner: str, lease: timedelta
    ) -> None:
        self._sessions = sessions
        self.owner = owner
        self.lease = lease

    async def claim(
        self, now: datetime, limit: int, *, urgent: bool, waiting: Collection[int]
    ) -> list[OutboxMessage]:
        """Lease what is due to this sender, most urgent first, leaving out the chats
        ``waiting`` for their own limit. ``urgent``: only what must not wait behind routine
        messages (emergency advice, red-flag cards, replies to a patient's own message)."""
        parameters = {"now": now, "waiting": list(waiting)}
        async with self._sessions() as session:
            if not await anything_to_claim(session, _URGENT if urgent else _ROUND, parameters):
                return []
        async with write_turn(self._sessions, SENDER), self._sessions.begin() as session:
            if not urgent:
                for doubt in _DOUBT_LAPSED:
                    await session.execute(doubt, {"now": now})
            claimed: list[OutboxMessage] = await claim_prepared(
                session,
                _URGENT if urgent else _ROUND,
                parameters,
                owner=self.owner,
                until=now + self.lease,
                limit=limit,
            )
            return claimed

    async def begin(self, messages: list[OutboxMessage], now: datetime) -> list[bool]:
        """Write down that the requests are about to leave, before they leave, so that a
        sender taking a message over after a crash knows whether it may have arrived.
        False for each whose lease was lost meanwhile."""
        async with write_turn(self._sessions, SENDER), self._sessions.begin() as session:
            begun = set(
                await session.scalars(
                    update(OutboxMessage)
                    .where(self.still_claimed(messages))
                    .values(sent_at=now, attempts=OutboxMessage.attempts + 1)
                    .returning(OutboxMessage.id)
                    .execution_options(synchronize_session=False)
                )
            )
        return [message.id in begun for message in messages]

    async def hand_back(self, messages: list[OutboxMessage], not_before: datetime) -> None:
        """Claimed messages that were not tried go back to the queue as they were (one
        written down as begun never left: it is no doubt to a later sender)."""
        if not messages:
            return
        async with write_turn(self._sessions, SENDER), self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(self.still_claimed(messages))
                .values(
                    status=OutboxStatus.PENDING,
                    not_before=not_before,
                    sent_at=None,
                    lease_owner=None,
                    lease_until=None,
                )
                .execution_options(synchronize_session=False)
            )

    def still_claimed(self, messages: list[OutboxMessage]) -> ColumnElement[bool]:
        """Those of ``messages`` this sender still holds, their requests not yet settled."""
        return (
            OutboxMessage.id.in_([message.id for message in messages])
            & (OutboxMessage.lease_owner == self.owner)
            & (OutboxMessage.status == OutboxStatus.SENDING)
        )


def _claims() -> tuple[Claim, Claim, tuple[Update, Update]]:
    """A round's claim, an urgent look's, and the doubts a round records first: built once
    (a sender claims several times a second), with parameters ``now`` and ``waiting``."""
    now = bindparam("now", type_=OutboxMessage.lease_until.type)
    lease_lapsed = (OutboxMessage.status == OutboxStatus.SENDING) & (
        OutboxMessage.lease_until < now
    )
    due = (
        (OutboxMessage.status == OutboxStatus.PENDING)
        & (OutboxMessage.not_before <= now)
        & OutboxMessage.chat_id.not_in(bindparam("waiting", expanding=True))
    )
    # A round takes one message per patient, the chat's next one: the first unsettled
    # in order of priority, then of writing. Its next goes in a later round, one that
    # finds the patient's one-second interval passed: no round waits on a chat's own
    # limit. (A group has no interval: its due messages all go, in order, in a round.)
    # While a message waits (retry_after, a backoff) or another sender holds it, those
    # written after it wait too: nothing overtakes a held message.
    other = aliased(OutboxMessage)
    goes_first = (other.priority < OutboxMessage.priority) | (
        (other.priority == OutboxMessage.priority) & (other.id < OutboxMessage.id)
    )
    held = ((other.status == OutboxStatus.PENDING) & (other.not_before > now)) | (
        (other.status == OutboxStatus.SENDING) & (other.lease_until >= now)
    )
    ahead = exists().where(
        other.chat_id == OutboxMessage.chat_id,
        other.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        (goes_first & (OutboxMessage.chat_id > 0)) | ((other.id < OutboxMessage.id) & held),
    )
    order_by = [OutboxMessage.priority, OutboxMessage.id]
    values = {"status": OutboxStatus.SENDING, "sent_at": None}
    # A look for red flags only reads, unless it finds one. A lapsed lease is left to a
    # round, which first records the doubt of a send that may have arrived: taken over
    # here, the resend would pass for a first copy.
    urgent = prepare(
        OutboxMessage,
        claimable=due & ~ahead & (OutboxMessage.priority <= PRIORITY_CONVERSATION),
        order_by=order_by,
        values=values,
    )
    round_ = prepare(
        OutboxMessage, claimable=or_(due, lease_lapsed) & ~ahead, order_by=order_by, values=values
    )
    return urgent, round_, _doubts(lease_lapsed, now)


def _doubts(lease_lapsed: ColumnElement[bool], now: ColumnElement[Any]) -> tuple[Update, Update]:
    """A lapsed lease means a sender died holding the message. If its request had begun
    (``sent_at`` says so) the message may have arrived: that send counts as doubtful,
    like a read timeout. One it never got to try is simply sent."""
    began = lease_lapsed & OutboxMessage.sent_at.is_not(None)
    stopped = "sender stopped during the send"
    last = OutboxMessage.doubtful_sends >= MAX_DOUBTFUL_SENDS - 1
    uncertain = (
        update(OutboxMessage)
        .where(began, last)
        .values(
            status=OutboxStatus.UNCERTAIN,
            doubtful_sends=OutboxMessage.doubtful_sends + 1,
            last_error=stopped,
        )
        .execution_options(synchronize_session=False)
    )
    # The doubt is recorded once per request: clearing ``sent_at`` keeps a row that
    # waits for its resend from being doubted again before a new request begins.
    doubted = (
        update(OutboxMessage)
        .where(began, ~last)
        .values(
            doubtful_sends=OutboxMessage.doubtful_sends + 1,
            uncertain_at=func.coalesce(OutboxMessage.uncertain_at, now),
            sent_at=None,
            last_error=stopped,
        )
        .execution_options(synchronize_session=False)
    )
    return uncertain, doubted


_URGENT, _ROUND, _DOUBT_LAPSED = _claims()
