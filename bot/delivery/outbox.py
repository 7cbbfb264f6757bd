"""The outbox: messages are rows written with the change that causes them, then sent.

One sender delivers them under Telegram's limits. Claims are leases, so a process that
dies mid-batch does not strand its messages; on PostgreSQL several senders share the table
through ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from telegram import Bot, Message

from bot.clock import Clock
from bot.delivery.api_calls import api_call
from bot.delivery.group_commit import GroupCommit
from bot.delivery.outcomes import Classified, Outcome, classify
from bot.delivery.pacing import Pacer
from db.claims import claim
from db.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# Lower goes first: what keeps a patient safe before anything else.
PRIORITY_EMERGENCY = 0
PRIORITY_ALERT = 1
PRIORITY_CONVERSATION = 3
PRIORITY_ROUTINE = 5

MAX_BACKOFF = timedelta(minutes=5)
# Sends that may or may not have arrived (no answer after the request left). Each is
# followed by another send: a duplicate is better than a lost red flag. Doubts come from
# a slow or dropped connection or a process dying mid-request, rarely many times running;
# after this many the message is left *uncertain* rather than risk a sixth copy.
MAX_DOUBTFUL_SENDS = 5
# The longest one round waits for Telegram's limits; a chat whose turn is further off goes
# back to the queue until then, so one busy group neither holds up the round (and the
# emergency message claimed by the next) nor keeps its messages past their lease.
MAX_ROUND = timedelta(seconds=10)
SEND_ROUND = 200  # messages claimed at a time
IN_FLIGHT = 32  # requests to Telegram at once, at most
# A chat whose own limit (a patient's one message a second, a group's twenty a minute)
# holds its next message longer than this is left out of a round, for a later one.
CHAT_WAIT_SECONDS = 0.25
URGENT_LOOK_SECONDS = 0.1  # how often a round looks for red flags written since it began


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    now: datetime,
    purpose: str,
    payload: dict[str, Any],
    method: str = "sendMessage",
    priority: int = PRIORITY_ROUTINE,
    episode_id: int | None = None,
    alert_id: int | None = None,
    checkin_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the caller's transaction; it goes when that transaction commits."""
    message = OutboxMessage(
        chat_id=chat_id,
        method=method,
        payload=payload,
        purpose=purpose,
        priority=priority,
        episode_id=episode_id,
        alert_id=alert_id,
        checkin_id=checkin_id,
        status=OutboxStatus.PENDING,
        not_before=not_before or now,
        attempts=0,
        created_at=now,
        dedupe_key=dedupe_key,
    )
    session.add(message)
    return message


# Called in the transaction that records the outcome, with the instant it was recorded.
Hook = Callable[[AsyncSession, OutboxMessage, Classified, datetime], Awaitable[None]]


@dataclass
class DeliveryHooks:
    """What the rest of the program wants to hear about deliveries."""

    delivered: list[Hook] = field(default_factory=list)
    unreachable: list[Hook] = field(default_factory=list)
    migrated: list[Hook] = field(default_factory=list)


class FatalDeliveryError(RuntimeError):
    """The bot cannot send at all (revoked token): stop and tell the operator."""


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        owner: str,
        pacer: Pacer | None = None,
        hooks: DeliveryHooks | None = None,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = IN_FLIGHT,
    ) -> None:
        self._sessions = sessions
        self._bot = bot
        self._clock = clock
        self._owner = owner
        self._pacer = pacer or Pacer()
        self._hooks = hooks or DeliveryHooks()
        self._lease = lease
        self._slots = asyncio.Semaphore(concurrency)
        # The writes around each send, shared by the messages in flight (group_commit.py).
        self._begins: GroupCommit[OutboxMessage, bool] = GroupCommit(self._write_begun)
        self._outcomes: GroupCommit[_Outcome, bool] = GroupCommit(self._write_outcomes)
        # Seconds until the first chat left out of the last round may go (None: none was).
        self.next_ready_in: float | None = None

    @property
    def round_size(self) -> int:
        """Messages claimed at a time: about a second's sending under Telegram's limits, so
        that a red flag written meanwhile is claimed by the next round soon after."""
        return max(1, min(SEND_ROUND, math.ceil(self._pacer.per_second)))

    async def deliver_due(self, limit: int | None = None) -> int:
        """Claim what is due and send it; returns how many messages were attempted.

        A round lasts about a second under Telegram's limits. Meanwhile, red flags written
        since it began are looked for every URGENT_LOOK_SECONDS and sent with it, not after."""
        limit = limit or self.round_size
        deadline = time.monotonic() + min(MAX_ROUND, self._lease / 2).total_seconds()
        claimed = await self._claim(limit)
        if not claimed:
            return 0
        async with asyncio.TaskGroup() as group:
            rounds = [group.create_task(self._send_claimed(claimed, deadline))]
            while not rounds[0].done():
                await asyncio.wait([rounds[0]], timeout=URGENT_LOOK_SECONDS)
                if rounds[0].done():
                    break
                try:
                    urgent = await self._claim(limit, urgent=True)
                except Exception as error:  # the round goes on; the next round looks again
                    log.warning("looking for red flags failed: %s", type(error).__name__)
                    break
                if urgent:
                    rounds.append(group.create_task(self._send_claimed(urgent, deadline)))
        attempted = 0
        for result in itertools.chain.from_iterable(task.result() for task in rounds):
            if isinstance(result, BaseException):
                raise result
            attempted += result
        return attempted

    async def _send_claimed(
        self, claimed: list[OutboxMessage], deadline: float
    ) -> list[int | BaseException]:
        """Chats in parallel, each chat's messages in order: how many each tried, or its
        failure, once every chat is done, so that no send is cut off midway."""
        by_chat: dict[int, list[OutboxMessage]] = {}
        for message in claimed:
            by_chat.setdefault(message.chat_id, []).append(message)
        return await asyncio.gather(
            *(self._deliver_chat(messages, deadline) for messages in by_chat.values()),
            return_exceptions=True,
        )

    async def _claim(self, limit: int, *, urgent: bool = False) -> list[OutboxMessage]:
        """Lease what is due to this sender (``urgent``: red flags only)."""
        now = self._clock.now()
        lease_lapsed = (OutboxMessage.status == OutboxStatus.SENDING) & (
            OutboxMessage.lease_until < now
        )
        due = (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.not_before <= now)
        # A round takes one message per patient, the chat's next one: the first unsettled
        # in order of priority, then of writing. Its next goes in a later round, one that
        # finds the patient's one-second interval passed: no round waits on a chat's own
        # limit. (A group has no interval: its due messages all go, in order, in a round.)
        waiting = self._pacer.not_ready(CHAT_WAIT_SECONDS)
        self.next_ready_in = min(waiting.values(), default=None)
        if waiting:
            due &= OutboxMessage.chat_id.not_in(list(waiting))
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
        claimable = or_(due, lease_lapsed) & ~ahead
        if urgent:
            claimable &= OutboxMessage.priority <= PRIORITY_ALERT
        async with self._sessions.begin() as session:
            if not urgent:  # a look for red flags only reads, unless it finds one
                await self._doubt_lapsed(session, lease_lapsed, now)
            return await claim(
                session,
                OutboxMessage,
                claimable=claimable,
                order_by=[OutboxMessage.priority, OutboxMessage.id],
                owner=self._owner,
                now=now,
                lease=self._lease,
                limit=limit,
                values={"status": OutboxStatus.SENDING, "sent_at": None},
            )

    @staticmethod
    async def _doubt_lapsed(
        session: AsyncSession, lease_lapsed: ColumnElement[bool], now: datetime
    ) -> None:
        """A lapsed lease means a sender died holding the message. If its request had begun
        (``sent_at`` says so) the message may have arrived: that send counts as doubtful,
        like a read timeout. One it never got to try is simply sent."""
        began = lease_lapsed & OutboxMessage.sent_at.is_not(None)
        stopped = "sender stopped during the send"
        last = OutboxMessage.doubtful_sends >= MAX_DOUBTFUL_SENDS - 1
        await session.execute(
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
        await session.execute(
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

    async def _deliver_chat(self, messages: list[OutboxMessage], deadline: float) -> int:
        """Send a chat's messages in order (a patient's one, a group's all that are due);
        returns how many were tried."""
        for index, message in enumerate(messages):
            urgent = message.priority <= PRIORITY_ALERT
            wait = self._pacer.wait_for(message.chat_id, urgent=urgent)
            if time.monotonic() + wait > deadline:
                later = self._clock.now() + timedelta(seconds=wait)
                await self._hand_back(messages[index:], later)
                return index
            # Begun before the turn is taken, not between the turn and the request: a write
            # held up (SQLite's one writer) would release the requests of all the turns
            # that came meanwhile at once, faster than Telegram's limit refills.
            if not await self._begin(message):
                return index  # another sender took it over: the chat is theirs
            await self._take_turn(message.chat_id, urgent)
            # The slot after the turn: a slot is for a request in flight, and a red flag
            # must not queue for one behind routine messages waiting for their turns.
            async with self._slots:
                verdict, message_id = await self._send(message)
            self._pacer.answered(message.chat_id)
            again = await self._record(message, verdict, message_id)
            if again is not None:
                # A chat's messages keep their order: the ones after a message that must go
                # again wait with it, back in the queue rather than stranded under the lease.
                await self._hand_back(messages[index + 1 :], again)
                if verdict.outcome is Outcome.FATAL:
                    raise FatalDeliveryError(verdict.reason)
                return index + 1
        return len(messages)

    async def _take_turn(self, chat_id: int, urgent: bool) -> None:
        """Wait until the pacer lets a message go to the chat and count it, in one step.
        Other chats wait for the same overall slot: each looks again after its sleep, and
        only the one that finds the slot free takes it."""
        while (delay := self._pacer.wait_for(chat_id, urgent=urgent)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)
        self._pacer.sent(chat_id)

    async def _begin(self, message: OutboxMessage) -> bool:
        """Write down that the request is about to leave, before it leaves, so that a
        sender taking the message over after a crash knows whether it may have arrived.
        False when the lease was lost meanwhile."""
        if not await self._begins(message):
            return False
        message.attempts += 1
        return True

    async def _write_begun(self, messages: list[OutboxMessage]) -> list[bool]:
        async with self._sessions.begin() as session:
            begun = set(
                await session.scalars(
                    update(OutboxMessage)
                    .where(self._still_claimed(messages))
                    .values(sent_at=self._clock.now(), attempts=OutboxMessage.attempts + 1)
                    .returning(OutboxMessage.id)
                    .execution_options(synchronize_session=False)
                )
            )
        return [message.id in begun for message in messages]

    def _still_claimed(self, messages: list[OutboxMessage]) -> ColumnElement[bool]:
        """Those of ``messages`` this sender still holds, their requests not yet settled."""
        return (
            OutboxMessage.id.in_([message.id for message in messages])
            & (OutboxMessage.lease_owner == self._owner)
            & (OutboxMessage.status == OutboxStatus.SENDING)
        )

    async def _send(self, message: OutboxMessage) -> tuple[Classified, int | None]:
        try:
            call = api_call(self._bot, message.method, message.chat_id, message.payload)
        except (KeyError, ValueError) as error:
            # Nothing left: not a doubt to resend, a message to look at.
            reason = f"cannot be sent as stored: {type(error).__name__}: {error}"[:200]
            return Classified(Outcome.PERMANENT, reason), None
        try:
            sent = await call
        except Exception as error:
            return classify(error), None
        return Classified(Outcome.DELIVERED, "ok"), (
            sent.message_id if isinstance(sent, Message) else None
        )

    async def _hand_back(self, messages: list[OutboxMessage], not_before: datetime) -> None:
        """Claimed messages that were not tried go back to the queue as they were."""
        if not messages:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(self._still_claimed(messages))
                .values(
                    status=OutboxStatus.PENDING,
                    not_before=not_before,
                    lease_owner=None,
                    lease_until=None,
                )
                .execution_options(synchronize_session=False)
            )

    async def _record(
        self, message: OutboxMessage, verdict: Classified, message_id: int | None
    ) -> datetime | None:
        """Store what became of the message; returns when it is due again, None if settled."""
        now = self._clock.now()
        # ``sent_at`` marked the request as begun; only a delivery keeps it.
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "sent_at": None}
        hooks: list[Hook] = []
        match verdict.outcome:
            case Outcome.DELIVERED:
                values |= {"status": OutboxStatus.SENT, "sent_at": now}
                values["telegram_message_id"] = message_id
                message.telegram_message_id = message_id  # for the hooks
                hooks = self._hooks.delivered
            case Outcome.RETRY:
                if verdict.retry_after:
                    self._pacer.hold(message.chat_id, verdict.retry_after)
                    wait = timedelta(seconds=verdict.retry_after)
                else:
                    wait = min(timedelta(seconds=2 ** min(message.attempts, 10)), MAX_BACKOFF)
                values |= {"status": OutboxStatus.PENDING, "not_before": now + wait}
            case Outcome.MIGRATED:
                values |= {"status": OutboxStatus.PENDING, "chat_id": verdict.new_chat_id}
                hooks = self._hooks.migrated
            case Outcome.UNCERTAIN:
                # Resend: a possible duplicate beats a lost clinical message.
                doubts = message.doubtful_sends + 1
                values |= {
                    "status": OutboxStatus.UNCERTAIN
                    if doubts >= MAX_DOUBTFUL_SENDS
                    else OutboxStatus.PENDING,
                    "doubtful_sends": doubts,
                    "uncertain_at": message.uncertain_at or now,
                }
            case Outcome.UNREACHABLE:
                values |= {"status": OutboxStatus.FAILED}
                hooks = self._hooks.unreachable
            case Outcome.PERMANENT:
                values |= {"status": OutboxStatus.FAILED}
            case Outcome.FATAL:
                values |= {"status": OutboxStatus.PENDING}
        if verdict.outcome is not Outcome.DELIVERED:
            values["last_error"] = verdict.reason
            log.warning(
                "outbox message %s (%s) to chat %s: %s",
                message.id,
                message.purpose,
                "group" if message.chat_id < 0 else "private",
                verdict.reason,
            )
        if not await self._outcomes(_Outcome(message, verdict, values, hooks, now)):
            # The lease lapsed and another sender took the message over: what happens
            # to it is theirs to record and announce. The rest of the chat stops here.
            log.warning("outbox message %s: lease lost before its outcome", message.id)
            return now
        if values["status"] is not OutboxStatus.PENDING:
            return None
        due: datetime = values.get("not_before", now)
        return due

    async def _write_outcomes(self, outcomes: list[_Outcome]) -> list[bool | BaseException]:
        """Each outcome recorded (True) or found to belong to another sender now (False).
        One transaction for all; if it fails, one each, so that a single bad outcome (a
        hook that fails) costs no other message its record."""
        if len(outcomes) > 1:
            try:
                async with self._sessions.begin() as session:
                    return [await self._write_outcome(session, one) for one in outcomes]
            except Exception:
                log.warning("outcomes of %s messages written one by one", len(outcomes))
        written: list[bool | BaseException] = []
        for outcome in outcomes:
            try:
                async with self._sessions.begin() as session:
                    written.append(await self._write_outcome(session, outcome))
            except Exception as error:
                written.append(error)
        return written

    async def _write_outcome(self, session: AsyncSession, outcome: _Outcome) -> bool:
        message = outcome.message
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.lease_owner == self._owner)
            .values(**outcome.values)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        for hook in outcome.hooks:
            await hook(session, message, outcome.verdict, outcome.now)
        return True


@dataclass(frozen=True)
class _Outcome:
    """What became of one send, waiting to be written."""

    message: OutboxMessage
    verdict: Classified
    values: dict[str, Any]
    hooks: list[Hook]
    now: datetime
