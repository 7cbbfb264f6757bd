"""The sender: claims what is due in the outbox and delivers it under Telegram's limits.

A round claims a couple of seconds' worth of messages (``leases.py``), and the next while
the last of them go; it sends each chat's in order and the chats in parallel, paced by
``pacing.py``, and records what became of each (``settling.py``). Waits go through the
clock, so tests need not wait in real time.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Message

from bot.clock import Clock
from bot.delivery.api_calls import api_call
from bot.delivery.group_commit import GroupCommit
from bot.delivery.leases import Leases
from bot.delivery.outcomes import Classified, Outcome, classify
from bot.delivery.pacing import Pacer
from bot.delivery.settling import DeliveryHooks, OutcomeWriter, Settled, settle
from bot.delivery.turns import Turns
from db.models import OutboxMessage

log = logging.getLogger(__name__)

# The longest one round waits for Telegram's limits; a chat whose turn is further off goes
# back to the queue until then, so one busy group neither holds up the round (and the
# emergency message claimed by the next) nor keeps its messages past their lease.
MAX_ROUND = timedelta(seconds=10)
SEND_ROUND = 200  # messages claimed at a time, at most
# A round claims this many seconds' sending. Between two rounds nothing leaves (the last
# outcomes are written, the next claim made), and that time is lost to the pace: the longer
# the round, the less is lost. Urgent messages do not wait for the next round (below).
ROUND_SECONDS = 2
IN_FLIGHT = 32  # requests to Telegram at once, at most
# A chat whose own limit (a patient's one message a second, a group's twenty a minute)
# holds its next message longer than this is left out of a round, for a later one.
CHAT_WAIT_SECONDS = 0.25
URGENT_LOOK_SECONDS = 0.1  # how often a round looks for urgent messages written meanwhile
# A round claims the next round's worth when what it has left would go in this many seconds:
# the claim is made while the last messages go, and the pace does not stop for it.
REFILL_SECONDS = 0.5


@dataclass
class _Round:
    """What a round has claimed and not yet settled, and when it stops taking more on."""

    deadline: float  # monotonic
    unsettled: int = 0
    refill: bool = False  # whether it claims the next round's worth when its own runs low


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
        """``pacer`` counts in ``clock``'s monotonic time (the default one does)."""
        self._bot = bot
        self._clock = clock
        self._pacer = pacer or Pacer(monotonic=clock.monotonic)
        self._turns = Turns(self._pacer, clock.sleep)
        self._hooks = hooks or DeliveryHooks()
        self._leases = Leases(sessions, owner, lease)
        self._slots = asyncio.Semaphore(concurrency)
        # The writes around each send, shared by the messages in flight (group_commit.py).
        self._begins: GroupCommit[OutboxMessage, bool] = GroupCommit(self._write_begun)
        self._outcomes: GroupCommit[Settled, bool] = GroupCommit(OutcomeWriter(sessions, owner))
        # Seconds until the first chat left out of the last round may go (None: none was).
        self.next_ready_in: float | None = None

    @property
    def round_size(self) -> int:
        """Messages claimed at a time: ROUND_SECONDS' sending under Telegram's limits."""
        return max(1, min(SEND_ROUND, math.ceil(ROUND_SECONDS * self._pacer.per_second)))

    @property
    def batch_sizes(self) -> dict[str, float | None]:
        """Messages per transaction so far, of the "begun" marks and of the outcomes."""
        return {
            name: round(writes.items / writes.batches, 1) if writes.batches else None
            for name, writes in (("begun", self._begins), ("outcomes", self._outcomes))
        }

    async def deliver_due(self, limit: int | None = None) -> int:
        """Claim what is due and send it; returns how many messages were attempted.

        A round claims about ROUND_SECONDS' sending under Telegram's limits, and claims the
        next while its last messages go (``_Round``), so that nothing stops between two
        claims while a backlog lasts; it ends when the outbox has nothing more due, or its
        sends stop getting through. Meanwhile, urgent messages written since it began (red
        flags, replies to patients: see ``Leases.claim``) are looked for every
        URGENT_LOOK_SECONDS and sent with it, ahead of what waits. With ``limit`` it claims
        that many at most, once."""
        claimed = await self._claim(limit or self.round_size)
        if not claimed:
            return 0
        round_ = _Round(self._clock.monotonic() + self._round_length())
        # A full claim says more may be waiting: the round claims the next while it sends.
        round_.refill = limit is None and len(claimed) == self.round_size
        async with asyncio.TaskGroup() as group:
            # The round's own claims; urgent ones join it, but it ends without waiting
            # for them to look for more (the TaskGroup still waits for them to finish).
            own = [group.create_task(self._send_claimed(claimed, round_.deadline, round_))]
            round_.unsettled += len(claimed)
            urgent: list[asyncio.Task[list[int | BaseException]]] = []
            while unfinished := [batch for batch in own if not batch.done()]:
                look = group.create_task(self._clock.sleep(URGENT_LOOK_SECONDS))
                await asyncio.wait([look, *unfinished], return_when=asyncio.FIRST_COMPLETED)
                look.cancel()
                if all(batch.done() for batch in own):
                    break
                if self._clock.monotonic() >= round_.deadline:
                    continue  # stuck (a pause, a slow request): claim nothing more
                try:
                    refill = self._refills(round_)
                    more = await self._claim(self.round_size, urgent=not refill)
                except Exception as error:  # the round goes on; the next round looks again
                    log.warning("claiming during a round failed: %s", type(error).__name__)
                    break
                if refill:  # a full claim again: more may be waiting still
                    round_.refill = len(more) == self.round_size
                if refill and more:
                    # Sends are getting through: the round goes on, a round's length from here.
                    round_.deadline = self._clock.monotonic() + self._round_length()
                if more:
                    task = group.create_task(self._send_claimed(more, round_.deadline, round_))
                    round_.unsettled += len(more)
                    (own if refill else urgent).append(task)
        attempted = 0
        for result in itertools.chain.from_iterable(batch.result() for batch in own + urgent):
            if isinstance(result, BaseException):
                raise result
            attempted += result
        return attempted

    def _refills(self, round_: _Round) -> bool:
        """Whether the round claims the next round's worth now: more may be waiting, its own
        would be gone within REFILL_SECONDS, and Telegram's retry_after is not holding every
        chat (what it claimed would go back)."""
        going = self._pacer.overall_wait() <= CHAT_WAIT_SECONDS
        # Half a round at most, however fast the pace (none, in a benchmark): what is
        # claimed waits for its request, under a lease.
        low = round_.unsettled <= min(REFILL_SECONDS * self._pacer.rate(), self.round_size / 2)
        return round_.refill and going and low

    def _round_length(self) -> float:
        return min(MAX_ROUND, self._leases.lease / 2).total_seconds()

    async def _claim(self, limit: int, *, urgent: bool = False) -> list[OutboxMessage]:
        # Chats whose own limit holds them a while are left to a later round (see leases).
        waiting = self._pacer.not_ready(CHAT_WAIT_SECONDS)
        self.next_ready_in = min(waiting.values(), default=None)
        return await self._leases.claim(self._clock.now(), limit, urgent=urgent, waiting=waiting)

    async def _send_claimed(
        self, claimed: list[OutboxMessage], deadline: float, round_: _Round
    ) -> list[int | BaseException]:
        """Chats in parallel, each chat's messages in order: how many each tried, or its
        failure, once every chat is done, so that no send is cut off midway. They must
        go by ``deadline``, the round's when they were claimed (their lease lasts twice
        as long)."""
        by_chat: dict[int, list[OutboxMessage]] = {}
        for message in claimed:
            by_chat.setdefault(message.chat_id, []).append(message)
        return await asyncio.gather(
            *(self._deliver_chat(messages, deadline, round_) for messages in by_chat.values()),
            return_exceptions=True,
        )

    async def _deliver_chat(
        self, messages: list[OutboxMessage], deadline: float, round_: _Round
    ) -> int:
        """Send a chat's messages in order (a patient's one, a group's all that are due);
        returns how many were tried."""
        try:
            return await self._deliver_in_order(messages, deadline)
        finally:
            round_.unsettled -= len(messages)

    async def _deliver_in_order(self, messages: list[OutboxMessage], deadline: float) -> int:
        for index, message in enumerate(messages):
            if self._clock.monotonic() + self._pacer.wait_for(message.chat_id) > deadline:
                await self._hand_back(messages[index:])
                return index
            # Written down as begun when it is about to leave (see Turns.take).
            begin = functools.partial(self._begin, message)
            turn = await self._turns.take(message.chat_id, message.priority, deadline, begin)
            if turn is None:
                return index  # taken over while it waited: the chat is theirs
            if not turn:
                await self._hand_back(messages[index:])  # a pause longer than the round
                return index
            left_at = self._clock.monotonic()
            # The slot after the turn: a slot is for a request in flight, and a red flag
            # must not queue for one behind routine messages waiting for their turns.
            async with self._slots:
                verdict, message_id = await self._send(message)
            self._pacer.answered(message.chat_id)
            again = await self._record(message, verdict, message_id, left_at)
            if again is not None:
                # A chat's messages keep their order: the ones after a message that must go
                # again wait with it, back in the queue rather than stranded under the lease.
                await self._leases.hand_back(messages[index + 1 :], again)
                if verdict.outcome is Outcome.FATAL:
                    raise FatalDeliveryError(verdict.reason)
                return index + 1
        return len(messages)

    async def _hand_back(self, messages: list[OutboxMessage]) -> None:
        """A chat's messages that cannot go in this round, back to the queue until the
        pacer would let the first of them go."""
        wait = self._pacer.wait_for(messages[0].chat_id)
        await self._leases.hand_back(messages, self._clock.now() + timedelta(seconds=wait))

    async def _begin(self, message: OutboxMessage) -> bool:
        """The request is written down as begun before it leaves (see ``Leases.begin``);
        False when the lease was lost meanwhile."""
        if not await self._begins(message):
            return False
        message.attempts += 1
        return True

    async def _write_begun(self, messages: list[OutboxMessage]) -> list[bool]:
        return await self._leases.begin(messages, self._clock.now())

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

    async def _record(
        self, message: OutboxMessage, verdict: Classified, message_id: int | None, left_at: float
    ) -> datetime | None:
        """Store what became of the message (its request left at ``left_at``, monotonic);
        returns when it is due again, None if settled."""
        settled = settle(message, verdict, message_id, self._hooks, self._clock.now())
        if verdict.outcome is Outcome.RETRY and verdict.retry_after:
            self._pacer.refused(message.chat_id, verdict.retry_after, left_at)
        if verdict.outcome is not Outcome.DELIVERED:
            log.warning(
                "outbox message %s (%s) to chat %s: %s",
                message.id,
                message.purpose,
                "group" if message.chat_id < 0 else "private",
                verdict.reason,
            )
        if not await self._outcomes(settled):
            # The lease lapsed and another sender took the message over: what happens
            # to it is theirs to record and announce. The rest of the chat stops here.
            log.warning("outbox message %s: lease lost before its outcome", message.id)
            return settled.now
        return settled.due_again
