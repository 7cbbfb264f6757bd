"""The outbox sender against the sandbox: the real python-telegram-bot ``Bot`` on the
sandbox's in-process transport, on SQLite and PostgreSQL. One FakeClock is the database's
time and the time Telegram's limits are counted in, by the sender and by the sandbox alike:
the sender's waits for Telegram's limits pass at once, and the ledger's times say whether
it kept them.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.clock import FakeClock
from bot.delivery.api_calls import png_photo
from bot.delivery.leases import Leases
from bot.delivery.outbox import (
    PRIORITY_ALERT,
    PRIORITY_CONVERSATION,
    PRIORITY_EMERGENCY,
    PRIORITY_ROUTINE,
    enqueue,
)
from bot.delivery.outcomes import Classified
from bot.delivery.pacing import Pacer
from bot.delivery.sender import FatalDeliveryError, OutboxSender
from bot.delivery.settling import MAX_DOUBTFUL_SENDS, DeliveryHooks
from bot.sandbox import (
    Blocked,
    Call,
    CantParseEntities,
    ChatNotFound,
    Conflict,
    Deactivated,
    DropConnection,
    Fault,
    Group,
    Limits,
    MalformedBody,
    Migrated,
    NotModified,
    Person,
    Sandbox,
    ServerError,
    Slow,
    TooManyRequests,
    Unauthorized,
)
from db.claims import claim
from db.models import OutboxMessage, OutboxStatus
from tests.fixtures.telegram import plain_bot

Sessions = async_sessionmaker[AsyncSession]

START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
LAPSE = LEASE + timedelta(seconds=1)
KEYBOARD = {
    "inline_keyboard": [
        [{"text": "Yes", "callback_data": "pain:yes"}, {"text": "No", "callback_data": "pain:no"}]
    ]
}


@pytest.fixture
def clock(engine: AsyncEngine) -> FakeClock:
    clock = FakeClock(START)
    clock.hold_while(lambda: engine.pool.checkedout() > 0)  # the database is at work
    return clock


@pytest.fixture
async def sandbox(clock: FakeClock) -> AsyncIterator[Sandbox]:
    """In this process, its limits and its ledger on the test's clock."""
    async with Sandbox(monotonic=clock.monotonic, sleep=clock.sleep) as sb:
        yield sb


@dataclass
class Heard:
    """What the delivery hooks were told, as (hook, outbox id, verdict)."""

    calls: list[tuple[str, int, Classified]] = field(default_factory=list)
    at: list[datetime] = field(default_factory=list)  # when each outcome was recorded

    def hooks(self) -> DeliveryHooks:
        def listener(name: str) -> Any:
            async def hook(
                _: AsyncSession, message: OutboxMessage, verdict: Classified, at: datetime
            ) -> None:
                self.calls.append((name, message.id, verdict))
                self.at.append(at)

            return hook

        return DeliveryHooks(
            delivered=[listener("delivered")],
            unreachable=[listener("unreachable")],
            migrated=[listener("migrated")],
        )

    def told(self, name: str) -> list[int]:
        return [message_id for hook, message_id, _ in self.calls if hook == name]


@pytest.fixture
def heard() -> Heard:
    return Heard()


def patient(sandbox: Sandbox, name: str = "Alice") -> Person:
    """A person who has written to the bot: a bot cannot write first to a private chat."""
    person = sandbox.user(name)
    assert sandbox.send_text(person, "/start") is not None
    return person


@pytest.fixture
def alice(sandbox: Sandbox) -> Person:
    return patient(sandbox)


@dataclass
class Queue:
    """The outbox table as a test sees it, and senders on it."""

    sessions: Sessions
    clock: FakeClock

    async def put(self, chat_id: int, text: str = "How is the pain?", **options: Any) -> int:
        """Enqueue a sendMessage (or ``method``/``payload`` given) and commit; returns its id."""
        options.setdefault("payload", {"text": text})
        async with self.sessions.begin() as session:
            message = enqueue(
                session, chat_id=chat_id, now=self.clock.now(), purpose="test", **options
            )
        return message.id

    async def row(self, message_id: int) -> OutboxMessage:
        async with self.sessions() as session:
            found = await session.get(OutboxMessage, message_id)
        assert found is not None
        return found

    async def rows(self, status: OutboxStatus | None = None) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if status is not None:
            query = query.where(OutboxMessage.status == status)
        async with self.sessions() as session:
            return list(await session.scalars(query))

    def pacer(self, **limits: Any) -> Pacer:
        """A pacer on the test's clock (Telegram's limits unless ``limits`` say otherwise)."""
        return Pacer(monotonic=self.clock.monotonic, **limits)

    def brisk_pacer(self) -> Pacer:
        """Telegram's overall rate, but no private-chat interval: for tests not about pacing."""
        return self.pacer(private_interval=0.0)

    def sender(
        self,
        bot: Bot,
        owner: str = "sender-a",
        *,
        heard: Heard | None = None,
        pacer: Pacer | None = None,
        lease: timedelta = LEASE,
    ) -> OutboxSender:
        return OutboxSender(
            self.sessions,
            bot,
            self.clock,
            owner,
            pacer=pacer or self.brisk_pacer(),
            hooks=heard.hooks() if heard else None,
            lease=lease,
        )


@pytest.fixture
def queue(sessions: Sessions, clock: FakeClock) -> Queue:
    return Queue(sessions, clock)


@pytest.fixture
def sender(queue: Queue, bot: Bot, heard: Heard) -> OutboxSender:
    return queue.sender(bot, heard=heard)


def texts(sandbox: Sandbox, chat: Person | Group) -> list[str]:
    """What the bot's messages in ``chat`` say, in the order they arrived."""
    return [message["text"] for message in sandbox.messages_to(chat)]


async def expect_sent_after_one_doubt(
    queue: Queue, message_id: int, sandbox: Sandbox, chat: Person | Group
) -> None:
    """The message went on its second try, the doubt about the first on record, and the
    first never reached the chat."""
    stored = await queue.row(message_id)
    assert (stored.status, stored.uncertain_at, stored.attempts) == (
        OutboxStatus.SENT,
        queue.clock.now(),
        2,
    )
    assert stored.doubtful_sends == 1
    assert texts(sandbox, chat) == [stored.payload["text"]]


# Delivered ------------------------------------------------------------------------------


async def test_a_message_is_delivered_with_its_inline_keyboard(
    sandbox: Sandbox,
    alice: Person,
    queue: Queue,
    clock: FakeClock,
    sender: OutboxSender,
    heard: Heard,
) -> None:
    message_id = await queue.put(
        alice.chat_id,
        payload={"text": "Any new numbness in your legs?", "reply_markup": KEYBOARD},
    )

    assert await sender.deliver_due() == 1

    [shown] = sandbox.messages_to(alice)
    assert shown["text"] == "Any new numbness in your legs?"
    assert shown["reply_markup"] == KEYBOARD
    stored = await queue.row(message_id)
    assert stored.status == OutboxStatus.SENT
    assert stored.telegram_message_id == shown["message_id"]
    assert (stored.sent_at, stored.attempts) == (clock.now(), 1)
    assert (stored.lease_owner, stored.lease_until, stored.last_error) == (None, None, None)
    assert heard.told("delivered") == [message_id]
    assert heard.at == [clock.now()]
    assert await sender.deliver_due() == 0  # sent is sent


async def test_a_chat_gets_its_messages_by_priority_then_in_the_order_they_were_written(
    sandbox: Sandbox, alice: Person, queue: Queue, sender: OutboxSender
) -> None:
    for text, priority in [
        ("routine 1", PRIORITY_ROUTINE),
        ("conversation", PRIORITY_CONVERSATION),
        ("routine 2", PRIORITY_ROUTINE),
        ("alert", PRIORITY_ALERT),
        ("call emergency services", PRIORITY_EMERGENCY),
    ]:
        await queue.put(alice.chat_id, text, priority=priority)

    # One a round, each round the chat's next: a patient gets one message a second.
    assert [await sender.deliver_due() for _ in range(6)] == [1, 1, 1, 1, 1, 0]
    assert texts(sandbox, alice) == [
        "call emergency services",
        "alert",
        "conversation",
        "routine 1",
        "routine 2",
    ]


# Telegram's limits ----------------------------------------------------------------------


async def test_a_429_to_a_patient_pauses_every_chat_until_retry_after(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    # Sent to one of many chats at once, a 429 is the bot's overall limit, not the chat's.
    pacer = queue.brisk_pacer()
    sender = queue.sender(bot, pacer=pacer)
    alice, bob = patient(sandbox, "Alice"), patient(sandbox, "Bob")
    ward = sandbox.group("Ward 5")
    first = await queue.put(alice.chat_id, "first")
    second = await queue.put(alice.chat_id, "second")
    await queue.put(bob.chat_id, "to Bob")
    await queue.put(ward.chat_id, "digest")
    sandbox.fail_next("sendMessage", chat_id=alice.chat_id, error=TooManyRequests(retry_after=2))

    await sender.deliver_due()

    refused, behind = await queue.row(first), await queue.row(second)
    assert (refused.status, behind.status) == (OutboxStatus.PENDING, OutboxStatus.PENDING)
    assert refused.not_before >= START + timedelta(seconds=2)
    assert refused.last_error is not None and "RetryAfter" in refused.last_error
    assert behind.attempts == 0  # held behind the first
    clock.advance(timedelta(seconds=2))
    assert await rounds_until_sent(sender, clock) == 2

    assert texts(sandbox, alice) == ["first", "second"]
    assert (texts(sandbox, bob), texts(sandbox, ward)) == (["to Bob"], ["digest"])
    [refusal] = [call for call in sandbox.ledger.calls("sendMessage") if call.status == 429]
    assert refusal.retry_after == 2
    after = [call for call in sandbox.ledger.calls("sendMessage") if call.seq > refusal.seq]
    assert len(after) == 4 and all(call.ok for call in after)
    assert all(call.at - refusal.done_at >= 2.0 for call in after), "sent before retry_after"


async def test_a_429_to_a_group_holds_that_group_only(
    sandbox: Sandbox, queue: Queue, bot: Bot
) -> None:
    pacer = queue.brisk_pacer()
    sender = queue.sender(bot, pacer=pacer)
    ward = sandbox.group("Ward 5")
    patients = [patient(sandbox, f"Patient {n}") for n in range(3)]
    await queue.put(ward.chat_id, "card 1")
    await queue.put(ward.chat_id, "card 2")
    for person in patients:
        await queue.put(person.chat_id, "Good morning: today's check-in")
    sandbox.fail_next("sendMessage", chat_id=ward.chat_id, error=TooManyRequests(retry_after=30))

    assert await sender.deliver_due() == 4

    # The patients got theirs at once, at the full rate; only the ward waits its 30 s.
    [refusal] = [call for call in sandbox.ledger.calls("sendMessage") if call.status == 429]
    to_patients = [c for c in sandbox.ledger.calls("sendMessage") if c.chat_id != ward.chat_id]
    assert [call.ok for call in to_patients] == [True] * 3
    assert all(call.at - refusal.done_at < 1.0 for call in to_patients)
    assert pacer.rate() == pacer.top_rate
    assert pacer.wait_for(ward.chat_id) > 25
    assert texts(sandbox, ward) == []


async def test_a_message_written_while_its_chat_is_held_does_not_overtake(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, sender: OutboxSender
) -> None:
    await queue.put(alice.chat_id, "question 1")
    sandbox.fail_next("sendMessage", chat_id=alice.chat_id, error=TooManyRequests(retry_after=1))
    await sender.deliver_due()
    later = await queue.put(alice.chat_id, "question 2")  # due now, but behind question 1

    assert await sender.deliver_due() == 0
    assert (await queue.row(later)).status is OutboxStatus.PENDING

    clock.advance(timedelta(seconds=1))
    assert await rounds_until_sent(sender, clock) == 2
    assert texts(sandbox, alice) == ["question 1", "question 2"]


async def rounds_until_sent(sender: OutboxSender, clock: FakeClock) -> int:
    """Rounds until nothing is left, waiting out chats left out of one; how many went.
    A full round is followed by the next at once, as ``eras run`` does."""
    sent = 0
    while (tried := await sender.deliver_due()) or sender.next_ready_in is not None:
        sent += tried
        if not tried:
            await clock.sleep(sender.next_ready_in or 0)
    return sent


async def until_all_sent(sender: OutboxSender, queue: Queue) -> None:
    """Rounds until every message is sent, the database's time moving on (a quarter of a
    second at a time) when a round finds nothing due: retry_after puts messages off."""
    while await queue.rows(OutboxStatus.PENDING):
        if not await sender.deliver_due():
            queue.clock.advance(timedelta(seconds=0.25))


async def test_a_second_sender_leaves_a_chat_alone_while_the_first_is_sending_to_it(
    sandbox: Sandbox, alice: Person, queue: Queue, bot: Bot
) -> None:
    await queue.put(alice.chat_id, "question 1")
    async with queue.sessions.begin() as session:  # sender A holds question 1 under a lease
        await claim(
            session,
            OutboxMessage,
            claimable=OutboxMessage.status == OutboxStatus.PENDING,
            order_by=[OutboxMessage.id],
            owner="sender-a",
            now=queue.clock.now(),
            lease=LEASE,
            limit=1,
            values={"status": OutboxStatus.SENDING},
        )
    await queue.put(alice.chat_id, "question 2")
    bob = patient(sandbox, "Bob")
    await queue.put(bob.chat_id, "to Bob")

    assert await queue.sender(bot, "sender-b").deliver_due() == 1
    assert texts(sandbox, bob) == ["to Bob"] and texts(sandbox, alice) == []


async def test_a_private_chat_gets_one_message_a_second(
    sandbox: Sandbox, alice: Person, queue: Queue, bot: Bot
) -> None:
    # Telegram (and the sandbox) would take a short burst; the bot keeps to one a second.
    sandbox.enforce_limits(True, Limits())
    for n in range(4):
        await queue.put(alice.chat_id, f"message {n}")

    sender = queue.sender(bot, pacer=queue.pacer())
    assert await sender.deliver_due() == 1  # the others are not waited for in the round
    while len(sandbox.ledger.calls("sendMessage")) < 4:  # later rounds, as time passes
        queue.clock.advance(timedelta(seconds=0.2))
        await sender.deliver_due()

    calls = sandbox.ledger.calls("sendMessage")
    assert [call.status for call in calls] == [200] * 4
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]
    assert min(gaps) >= 1.0, gaps
    assert texts(sandbox, alice) == [f"message {n}" for n in range(4)]


async def test_a_round_leaves_out_a_patient_still_in_their_second(
    sandbox: Sandbox, alice: Person, queue: Queue, bot: Bot
) -> None:
    await queue.put(alice.chat_id, "question 1")
    sender = queue.sender(bot, pacer=queue.pacer())
    assert await sender.deliver_due() == 1
    await queue.put(alice.chat_id, "question 2")
    bob = patient(sandbox, "Bob")
    await queue.put(bob.chat_id, "to Bob")

    # Bob's goes; Alice's is not claimed to wait out her interval in the round.
    assert await sender.deliver_due() == 1
    assert texts(sandbox, bob) == ["to Bob"]
    assert sender.next_ready_in is not None and 0.25 < sender.next_ready_in <= 1.0
    await queue.clock.sleep(sender.next_ready_in)
    assert await sender.deliver_due() == 1
    assert texts(sandbox, alice) == ["question 1", "question 2"]


async def test_a_red_flag_written_during_a_round_goes_in_it_not_after_it(
    sandbox: Sandbox, queue: Queue, bot: Bot
) -> None:
    patients = [patient(sandbox, f"Patient {n}") for n in range(10)]
    for person in patients:
        await queue.put(person.chat_id, "Good morning: today's check-in")
    ward = sandbox.group("Ward 5")
    sender = queue.sender(bot, pacer=queue.pacer(overall_per_second=10))  # a round of a second

    round_ = asyncio.create_task(sender.deliver_due())
    await queue.clock.sleep(0.2)
    await queue.put(ward.chat_id, "RED FLAG: P-017", priority=PRIORITY_ALERT)

    assert await round_ == 11
    calls = sandbox.ledger.calls("sendMessage")
    card = next(call for call in calls if call.chat_id == ward.chat_id)
    assert card.at < max(call.at for call in calls if call.chat_id != ward.chat_id)


async def test_many_chats_at_once_stay_under_the_overall_limit(
    sandbox: Sandbox, queue: Queue, bot: Bot
) -> None:
    sandbox.enforce_limits(True, Limits(overall_per_second=10, overall_burst=2))
    wards = [sandbox.group(f"Ward {n}") for n in range(8)]
    for ward in wards:
        await queue.put(ward.chat_id, "Daily digest")

    pacer = queue.pacer(overall_per_second=10)
    assert await queue.sender(bot, pacer=pacer).deliver_due() == 8

    assert [call.status for call in sandbox.ledger.calls("sendMessage")] == [200] * 8
    assert [m.status for m in await queue.rows()] == [OutboxStatus.SENT] * 8


def most_in_a_second(calls: list[Call]) -> int:
    """The most requests that arrived within one second of each other (inclusive)."""
    times = sorted(call.at for call in calls)
    return max(bisect.bisect_right(times, t + 1.0) - i for i, t in enumerate(times))


async def burst_sent(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot, patients: int
) -> list[float]:
    """A check-in for each of ``patients`` due at once, sent under Telegram's limits as it
    counts them: every one delivered, never more than 30 in its second; when each arrived."""
    sandbox.enforce_limits(True, Limits(sliding_window=True))
    for n in range(patients):
        await queue.put(patient(sandbox, f"Patient {n}").chat_id, "Good morning: check-in")

    assert await rounds_until_sent(queue.sender(bot, pacer=queue.pacer()), clock) == patients

    calls = sandbox.ledger.calls("sendMessage")
    assert [call.status for call in calls] == [200] * patients
    assert most_in_a_second(calls) <= 30
    return [call.at for call in calls]


async def test_a_burst_keeps_under_thirty_a_second_as_telegram_counts_them_and_near_the_cap(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    times = await burst_sent(sandbox, queue, clock, bot, 120)

    # Room for jitter on the way: the 1st and the 31st leave more than a second apart
    # (exactly a second apart, a few milliseconds of jitter make 31 in Telegram's second).
    assert min(later - first for first, later in zip(times, times[30:], strict=False)) > 1.02
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.95 * 30


async def test_a_burst_keeps_near_the_cap_though_each_claim_takes_the_database_a_while(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test's clock stands still while the database works; a real claim takes time, and
    # sending must not stop for it (a tenth of a second a round was 4 % of the cap).
    claim_now = Leases.claim

    async def claim_taking_a_while(leases: Leases, *args: Any, **options: Any) -> Any:
        await clock.sleep(0.1)
        return await claim_now(leases, *args, **options)

    monkeypatch.setattr(Leases, "claim", claim_taking_a_while)

    times = await burst_sent(sandbox, queue, clock, bot, 300)

    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.95 * 30


async def test_a_sender_that_dies_while_messages_wait_for_their_turn_leaves_no_doubt_on_them(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    # Telegram's limit binds: of 60 check-ins claimed at once, 30 may go in a second, and
    # the rest wait in line. A message is written down as begun only when it is about to
    # leave; one written down while it waited would count as a doubtful send when the
    # sender died, and after five such deaths be given up without having been sent.
    sandbox.enforce_limits(True, Limits(sliding_window=True))
    for n in range(60):
        await queue.put(patient(sandbox, f"Patient {n}").chat_id, "Good morning: check-in")
    dying = asyncio.create_task(queue.sender(bot, pacer=queue.pacer()).deliver_due())
    await clock.sleep(0.5)
    dying.cancel()  # the process dies: nothing more is written
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    arrived = len(sandbox.ledger.calls("sendMessage"))
    assert 5 < arrived < 30  # some went, most were waiting

    clock.advance(LAPSE)  # the next sender takes the lapsed leases over
    await rounds_until_sent(queue.sender(bot, "sender-b", pacer=queue.pacer()), clock)

    rows = await queue.rows()
    assert [row.status for row in rows] == [OutboxStatus.SENT] * 60
    # At most the message first in line and a request in flight when it died.
    assert sum(row.doubtful_sends for row in rows) <= 2, [r.doubtful_sends for r in rows]


async def test_at_any_pace_a_round_holds_no_more_than_a_round_and_a_half_unsent(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A round claims the next while it sends. However fast the pace, it waits until half of
    # a round is left: claimed messages wait for their requests under a lease, and a backlog
    # claimed all at once would outwait it.
    held: list[int] = []
    claim_now = Leases.claim

    async def noted_claim(leases: Leases, *args: Any, **options: Any) -> list[OutboxMessage]:
        held.append(len(await queue.rows(OutboxStatus.SENDING)))
        return await claim_now(leases, *args, **options)

    monkeypatch.setattr(Leases, "claim", noted_claim)
    chats = [patient(sandbox, f"Patient {n}") for n in range(800)]
    for person in chats:
        await queue.put(person.chat_id, "Good morning")
    sender = queue.sender(bot, pacer=queue.pacer(overall_per_second=1000, private_interval=0))

    assert await rounds_until_sent(sender, clock) == 800
    assert max(held) <= sender.round_size * 1.5


async def test_with_telegram_refusing_over_its_limit_every_message_goes_once_and_none_early(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    # Telegram's limit is lower than the bot believes: it has to learn it from the 429s.
    sandbox.enforce_limits(
        True, Limits(overall_per_second=20, overall_burst=20, sliding_window=True)
    )
    patients = [patient(sandbox, f"Patient {n}") for n in range(100)]
    for person in patients:
        await queue.put(person.chat_id, "Good morning: today's check-in")
    sender = queue.sender(bot, pacer=queue.pacer())
    started = clock.monotonic()

    await until_all_sent(sender, queue)

    assert [m.status for m in await queue.rows()] == [OutboxStatus.SENT] * 100
    assert all(texts(sandbox, person) == ["Good morning: today's check-in"] for person in patients)
    calls = sandbox.ledger.calls("sendMessage")
    refusals = [call for call in calls if call.status == 429]
    assert refusals, "the bot never went over Telegram's limit: nothing was tested"
    early = [
        call
        for call in calls
        for refusal in refusals
        if refusal.done_at < call.at < refusal.done_at + (refusal.retry_after or 0)
    ]
    assert early == []
    # No stall: a few 429s teach the bot the limit (a bot that keeps going is refused
    # again and again, each refusal holding every chat).
    assert len(refusals) <= len(calls) // 10
    assert clock.monotonic() - started < 100 / 20 * 3


async def test_after_a_pause_emergency_advice_and_a_red_flag_card_go_first(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    patients = [patient(sandbox, f"Patient {n}") for n in range(60)]
    for person in patients:
        await queue.put(person.chat_id, "Good morning: today's check-in")
    ward = sandbox.group("Ward 5")
    answering = patient(sandbox, "Zoe")  # answering her check-in: nothing queued for her
    sandbox.fail_next("sendMessage", chat_id=patients[5].chat_id, error=TooManyRequests(2))
    sender = queue.sender(bot, pacer=queue.pacer())

    sending = asyncio.create_task(until_all_sent(sender, queue))
    while not any(call.status == 429 for call in sandbox.ledger.calls("sendMessage")):
        await clock.sleep(0.05)
    # Written during the pause, behind a burst of check-ins already claimed and waiting.
    await queue.put(answering.chat_id, "Call 112 now", priority=PRIORITY_EMERGENCY)
    await queue.put(ward.chat_id, "RED FLAG: P-017", priority=PRIORITY_ALERT)
    await sending

    calls = sandbox.ledger.calls("sendMessage")
    [refusal] = [call for call in calls if call.status == 429]
    resumed = [call for call in calls if call.seq > refusal.seq]
    assert [call.params["text"] for call in resumed[:2]] == ["Call 112 now", "RED FLAG: P-017"]
    assert resumed[0].at - refusal.done_at >= 2.0
    assert all(texts(sandbox, person) for person in patients)  # and the burst went on


async def test_a_group_over_its_limit_is_handed_back_for_later_instead_of_waited_for(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    sandbox.enforce_limits(True, Limits(group_per_minute=5, group_burst=5))
    ward = sandbox.group("Ward 5")
    for n in range(7):
        await queue.put(ward.chat_id, f"alert {n}")
    sender = queue.sender(bot, pacer=queue.pacer(group_per_minute=5))

    async with asyncio.timeout(10):  # the next slot is a minute away: not waited for here
        assert await sender.deliver_due() == 5

    assert [call.status for call in sandbox.ledger.calls("sendMessage")] == [200] * 5
    assert texts(sandbox, ward) == [f"alert {n}" for n in range(5)]
    later = await queue.rows(OutboxStatus.PENDING)
    assert [m.payload["text"] for m in later] == ["alert 5", "alert 6"]
    for message in later:
        assert message.not_before >= clock.now() + timedelta(seconds=55)
        assert (message.attempts, message.lease_owner, message.uncertain_at) == (0, None, None)


# What Telegram answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [Blocked(), Deactivated(), ChatNotFound()], ids=lambda fault: fault.kind
)
async def test_a_chat_that_is_gone_fails_and_is_reported_unreachable_once(
    sandbox: Sandbox, alice: Person, queue: Queue, sender: OutboxSender, heard: Heard, fault: Fault
) -> None:
    message_id = await queue.put(alice.chat_id)
    sandbox.fail_next("sendMessage", chat_id=alice.chat_id, error=fault)

    await sender.deliver_due()
    assert await sender.deliver_due() == 0

    stored = await queue.row(message_id)
    assert stored.status == OutboxStatus.FAILED
    assert heard.told("unreachable") == [message_id]
    assert heard.told("delivered") == []
    assert len(sandbox.ledger.calls("sendMessage")) == 1


async def test_a_message_telegram_cannot_parse_fails_without_blaming_the_chat(
    sandbox: Sandbox, alice: Person, queue: Queue, sender: OutboxSender, heard: Heard
) -> None:
    message_id = await queue.put(alice.chat_id)
    sandbox.fail_next("sendMessage", error=CantParseEntities())

    await sender.deliver_due()

    stored = await queue.row(message_id)
    assert stored.status == OutboxStatus.FAILED
    assert stored.last_error is not None and "parse entities" in stored.last_error
    assert heard.calls == []


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("sendSticker", {"sticker": "CAAD-1"}),
        ("sendMessage", {"caption": "no text"}),
        ("sendPhoto", {"photo_png_base64": "not base64!"}),
    ],
    ids=["a method the outbox does not send", "a payload without its text", "a broken image"],
)
async def test_a_message_that_cannot_be_sent_as_stored_fails_without_a_request(
    sandbox: Sandbox,
    alice: Person,
    queue: Queue,
    sender: OutboxSender,
    heard: Heard,
    method: str,
    payload: dict[str, Any],
) -> None:
    message_id = await queue.put(alice.chat_id, method=method, payload=payload)

    await sender.deliver_due()

    stored = await queue.row(message_id)
    assert (stored.status, stored.uncertain_at) == (OutboxStatus.FAILED, None)
    assert stored.last_error is not None and "cannot be sent as stored" in stored.last_error
    assert sandbox.ledger.calls(method) == []
    assert heard.calls == []


async def test_a_png_made_by_the_bot_is_uploaded_with_its_caption(
    sandbox: Sandbox, alice: Person, queue: Queue, sender: OutboxSender
) -> None:
    chart = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    message_id = await queue.put(
        alice.chat_id, method="sendPhoto", payload=png_photo(chart, caption="P-001 · recovery")
    )

    await sender.deliver_due()

    [shown] = sandbox.messages_to(alice)
    assert shown["caption"] == "P-001 · recovery"
    assert sandbox.photo_data(shown) == chart
    upload = sandbox.ledger.calls("sendPhoto")[-1].params["photo"]
    assert (upload.filename, upload.content_type) == ("chart.png", "image/png")
    stored = await queue.row(message_id)
    assert (stored.status, stored.telegram_message_id) == (OutboxStatus.SENT, shown["message_id"])


async def test_server_errors_are_retried_with_a_growing_pause(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, sender: OutboxSender
) -> None:
    message_id = await queue.put(alice.chat_id, "Check-in")
    sandbox.fail_next("sendMessage", error=ServerError(502), times=2)

    for attempts, pause in [(1, 2), (2, 4)]:
        await sender.deliver_due()
        stored = await queue.row(message_id)
        assert (stored.status, stored.attempts) == (OutboxStatus.PENDING, attempts)
        assert stored.not_before == clock.now() + timedelta(seconds=pause)
        assert stored.uncertain_at is None
        clock.advance(timedelta(seconds=pause - 1))
        assert await sender.deliver_due() == 0  # not before the pause is over
        clock.advance(timedelta(seconds=1))

    await sender.deliver_due()
    assert (await queue.row(message_id)).status == OutboxStatus.SENT
    assert texts(sandbox, alice) == ["Check-in"]


async def test_the_messages_after_one_that_must_go_again_wait_with_it(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, sender: OutboxSender
) -> None:
    first = await queue.put(alice.chat_id, "question 1")
    second = await queue.put(alice.chat_id, "question 2")
    sandbox.fail_next("sendMessage", error=ServerError(502))

    assert await sender.deliver_due() == 1

    waiting = await queue.row(second)
    assert (waiting.status, waiting.attempts, waiting.lease_owner) == (
        OutboxStatus.PENDING,
        0,
        None,
    )
    assert (await queue.row(first)).not_before > clock.now()  # a backoff
    assert await sender.deliver_due() == 0  # due, but behind the first
    clock.advance(timedelta(seconds=2))
    assert [await sender.deliver_due(), await sender.deliver_due()] == [1, 1]
    assert texts(sandbox, alice) == ["question 1", "question 2"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_connection_never_made_is_retried_with_a_pause(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, sender: OutboxSender
) -> None:
    message_id = await queue.put(alice.chat_id, "Check-in")
    request = HTTPXRequest()
    nowhere = Bot(sandbox.token, base_url=f"http://127.0.0.1:{closed_port()}/bot", request=request)
    try:
        await queue.sender(nowhere).deliver_due()
    finally:
        await request.shutdown()

    stored = await queue.row(message_id)
    assert (stored.status, stored.attempts, stored.uncertain_at) == (OutboxStatus.PENDING, 1, None)
    assert stored.not_before == clock.now() + timedelta(seconds=2)
    assert stored.last_error is not None and "ConnectError" in stored.last_error

    clock.advance(timedelta(seconds=2))
    await sender.deliver_due()
    assert texts(sandbox, alice) == ["Check-in"]


@pytest.fixture
async def impatient_bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    """A bot that waits a third of a second for an answer."""
    async with plain_bot(sandbox, request=sandbox.request(read_timeout=0.3)) as running:
        yield running


@pytest.mark.parametrize(
    "fault",
    [Slow(seconds=1, delivered=True), DropConnection(delivered=True), MalformedBody()],
    ids=lambda fault: fault.kind,
)
async def test_no_answer_after_the_request_left_is_resent_until_the_doubts_run_out(
    sandbox: Sandbox,
    alice: Person,
    queue: Queue,
    clock: FakeClock,
    impatient_bot: Bot,
    heard: Heard,
    fault: Fault,
) -> None:
    # The sandbox did every send; the bot cannot know, so it tries again, up to the limit.
    message_id = await queue.put(alice.chat_id, "Check-in")
    sandbox.fail_next("sendMessage", error=fault, times=MAX_DOUBTFUL_SENDS)
    sender = queue.sender(impatient_bot, heard=heard)

    for doubts in range(1, MAX_DOUBTFUL_SENDS):
        await sender.deliver_due()
        doubted = await queue.row(message_id)
        assert (doubted.status, doubted.doubtful_sends) == (OutboxStatus.PENDING, doubts)
        assert doubted.uncertain_at == START  # when the doubt began
        clock.advance(timedelta(seconds=1))
    await sender.deliver_due()
    stored = await queue.row(message_id)
    assert (stored.status, stored.attempts) == (OutboxStatus.UNCERTAIN, MAX_DOUBTFUL_SENDS)
    assert stored.doubtful_sends == MAX_DOUBTFUL_SENDS

    clock.advance(timedelta(hours=1))
    assert await sender.deliver_due() == 0  # no copy beyond the limit
    assert len(sandbox.ledger.calls("sendMessage")) == MAX_DOUBTFUL_SENDS
    assert heard.calls == []


async def test_a_resend_after_a_timeout_that_gets_through_is_delivered(
    sandbox: Sandbox, alice: Person, queue: Queue, impatient_bot: Bot
) -> None:
    message_id = await queue.put(alice.chat_id, "Check-in")
    sandbox.fail_next("sendMessage", error=Slow(seconds=1))  # the server never got to it
    sender = queue.sender(impatient_bot)

    await sender.deliver_due()
    await sender.deliver_due()

    await expect_sent_after_one_doubt(queue, message_id, sandbox, alice)


async def test_an_edit_that_changes_nothing_counts_as_delivered(
    sandbox: Sandbox, alice: Person, queue: Queue, sender: OutboxSender, bot: Bot
) -> None:
    shown = await bot.send_message(alice.chat_id, "Thank you, see you tomorrow.")
    message_id = await queue.put(
        alice.chat_id,
        method="editMessageText",
        payload={"text": "Thank you, see you tomorrow.", "message_id": shown.message_id},
    )

    await sender.deliver_due()

    edit = await sandbox.wait_for(lambda call: call.method == "editMessageText")
    assert edit.description is not None and "message is not modified" in edit.description
    assert (await queue.row(message_id)).status == OutboxStatus.SENT


async def test_an_edit_is_made_in_place(
    sandbox: Sandbox, alice: Person, queue: Queue, sender: OutboxSender, bot: Bot
) -> None:
    shown = await bot.send_message(alice.chat_id, "Pain today?", reply_markup=None)
    await queue.put(
        alice.chat_id,
        method="editMessageText",
        payload={"text": "Pain today? You answered 3.", "message_id": shown.message_id},
    )

    await sender.deliver_due()

    assert texts(sandbox, alice) == ["Pain today? You answered 3."]


async def test_a_group_upgraded_to_a_supergroup_gets_the_message_at_its_new_id(
    sandbox: Sandbox, queue: Queue, sender: OutboxSender, heard: Heard
) -> None:
    ward = sandbox.group("Ward 5")
    supergroup = sandbox.migrate_to_supergroup(ward)
    message_id = await queue.put(ward.chat_id, "New alert: Alice")

    await sender.deliver_due()

    moved = await queue.row(message_id)
    assert (moved.status, moved.chat_id) == (OutboxStatus.PENDING, supergroup.chat_id)
    assert heard.told("migrated") == [message_id]
    [(_, _, verdict)] = [call for call in heard.calls if call[0] == "migrated"]
    assert verdict.new_chat_id == supergroup.chat_id

    await sender.deliver_due()

    assert (await queue.row(message_id)).status == OutboxStatus.SENT
    assert texts(sandbox, supergroup) == ["New alert: Alice"]


async def test_a_revoked_token_stops_the_sender_and_keeps_the_messages(
    sandbox: Sandbox, alice: Person, queue: Queue, sender: OutboxSender
) -> None:
    first = await queue.put(alice.chat_id, "first")
    second = await queue.put(alice.chat_id, "second")
    sandbox.fail_next("sendMessage", error=Unauthorized())

    with pytest.raises(FatalDeliveryError, match="Unauthorized"):
        await sender.deliver_due()

    for message_id in (first, second):
        kept = await queue.row(message_id)
        assert (kept.status, kept.lease_owner) == (OutboxStatus.PENDING, None)
    # A new token, or Telegram back to its senses: one message a round to a patient.
    assert [await sender.deliver_due(), await sender.deliver_due()] == [1, 1]
    assert texts(sandbox, alice) == ["first", "second"]


# Leases ---------------------------------------------------------------------------------


class Stalled:
    """A sender stuck in a send: its sendMessage requests wait, before they leave, until
    ``release`` is set. To the database it is a sender that died mid-send."""

    def __init__(
        self, sandbox: Sandbox, queue: Queue, owner: str, heard: Heard | None = None
    ) -> None:
        self.reached, self.release = asyncio.Event(), asyncio.Event()

        async def stall(request: httpx.Request) -> None:
            if request.url.path.endswith("/sendMessage"):
                self.reached.set()
                await self.release.wait()

        request = sandbox.request(httpx_kwargs={"event_hooks": {"request": [stall]}})
        self.bot = plain_bot(sandbox, request=request)
        self.sender = queue.sender(self.bot, owner, heard=heard)
        self.task: asyncio.Task[int] | None = None

    async def __aenter__(self) -> Self:
        await self.bot.initialize()
        self.task = asyncio.create_task(self.sender.deliver_due())
        async with asyncio.timeout(5):
            await self.reached.wait()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.bot.shutdown()


async def test_a_lapsed_lease_is_taken_over_once_with_the_doubt_recorded(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    message_id = await queue.put(alice.chat_id, "Check-in")
    other = queue.sender(bot, "sender-b")

    async with Stalled(sandbox, queue, "sender-a"):
        claimed = await queue.row(message_id)
        assert (claimed.status, claimed.lease_owner) == (OutboxStatus.SENDING, "sender-a")
        assert await other.deliver_due() == 0  # the lease holds
        clock.advance(LAPSE)
        assert await other.deliver_due() == 1

    await expect_sent_after_one_doubt(queue, message_id, sandbox, alice)


async def test_a_round_held_past_its_deadline_claims_nothing_more(
    sandbox: Sandbox, queue: Queue, clock: FakeClock, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A request is answered later than the round may last (half its six-second lease).
    # Until it comes back the round is stuck: an urgent message written meanwhile waits for
    # the next round rather than be claimed and handed straight back, ten times a second,
    # by a round that cannot send it.
    alice, bob = patient(sandbox, "Alice"), patient(sandbox, "Bob")
    await queue.put(alice.chat_id, "Check-in")
    sandbox.fail_next("sendMessage", error=Slow(seconds=4.5, delivered=True))
    claims: list[list[int]] = []
    claim_now = Leases.claim

    async def noted_claim(leases: Leases, *args: Any, **options: Any) -> list[OutboxMessage]:
        claimed = await claim_now(leases, *args, **options)
        claims.append([message.chat_id for message in claimed])
        return claimed

    monkeypatch.setattr(Leases, "claim", noted_claim)

    async def red_flag_while_stuck() -> None:
        await clock.sleep(3.5)  # the round's deadline has passed
        await queue.put(bob.chat_id, "Call emergency services", priority=PRIORITY_EMERGENCY)

    sender = queue.sender(bot, lease=timedelta(seconds=6))
    writer = asyncio.create_task(red_flag_while_stuck())
    assert await sender.deliver_due() == 1
    await writer

    assert await sender.deliver_due() == 1
    assert [chats for chats in claims if bob.chat_id in chats] == [[bob.chat_id]]
    assert texts(sandbox, bob) == ["Call emergency services"]


async def test_a_look_for_urgent_messages_leaves_a_lapsed_lease_to_the_round_that_doubts_it(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    """A reply whose sender died mid-send may have arrived. The frequent look for urgent
    messages only reads: were it to take the reply over, the doubt would go unrecorded and
    a second copy would pass for the first."""
    message_id = await queue.put(alice.chat_id, "Thank you", priority=PRIORITY_CONVERSATION)
    async with Stalled(sandbox, queue, "sender-a"):
        clock.advance(LAPSE)
        look = Leases(queue.sessions, "sender-b", LEASE)
        assert await look.claim(clock.now(), 10, urgent=True, waiting=()) == []
        assert await queue.sender(bot, "sender-b").deliver_due() == 1

    await expect_sent_after_one_doubt(queue, message_id, sandbox, alice)


async def test_senders_dying_mid_send_time_after_time_leave_the_message_uncertain(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    message_id = await queue.put(alice.chat_id, "Check-in")

    async with contextlib.AsyncExitStack() as dying:
        for doubts in range(MAX_DOUBTFUL_SENDS):
            await dying.enter_async_context(Stalled(sandbox, queue, f"sender-{doubts}"))
            taken = await queue.row(message_id)
            assert (taken.lease_owner, taken.doubtful_sends) == (f"sender-{doubts}", doubts)
            clock.advance(LAPSE)
        assert await queue.sender(bot, "sender-last").deliver_due() == 0

    stored = await queue.row(message_id)
    assert (stored.status, stored.doubtful_sends) == (OutboxStatus.UNCERTAIN, MAX_DOUBTFUL_SENDS)
    assert stored.last_error == "sender stopped during the send"
    clock.advance(timedelta(hours=1))
    assert await queue.sender(bot, "sender-last").deliver_due() == 0
    assert sandbox.ledger.calls("sendMessage") == []


async def test_a_message_a_stopped_sender_claimed_but_never_tried_goes_without_doubt(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    """A sender claims a batch, then dies before getting to some of it: those requests
    never left, so they are neither doubted nor, after two such deaths, given up."""
    message_id = await queue.put(alice.chat_id, "Check-in")
    for owner in ("sender-a", "sender-b"):  # two senders die holding it, untried
        async with queue.sessions.begin() as session:
            await claim(
                session,
                OutboxMessage,
                claimable=OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                order_by=[OutboxMessage.id],
                owner=owner,
                now=clock.now(),
                lease=LEASE,
                limit=1,
                values={"status": OutboxStatus.SENDING, "sent_at": None},
            )
        clock.advance(LAPSE)

    assert await queue.sender(bot, "sender-c").deliver_due() == 1

    stored = await queue.row(message_id)
    assert (stored.status, stored.uncertain_at, stored.attempts) == (OutboxStatus.SENT, None, 1)
    assert texts(sandbox, alice) == ["Check-in"]


async def test_a_doubted_message_waiting_for_its_resend_is_not_given_up_meanwhile(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, bot: Bot
) -> None:
    """The round that finds the lapsed lease may be too full to resend it at once (more
    urgent messages first); the next round resends it, without a second doubt."""
    message_id = await queue.put(alice.chat_id, "Check-in")
    bob = patient(sandbox, "Bob")
    async with Stalled(sandbox, queue, "sender-a"):
        clock.advance(LAPSE)
        await queue.put(bob.chat_id, "Call 112 now", priority=0)
        other = queue.sender(bot, "sender-b")
        assert await other.deliver_due(limit=1) == 1  # the emergency first, nothing else
        assert await other.deliver_due() == 1

    await expect_sent_after_one_doubt(queue, message_id, sandbox, alice)


async def test_a_sender_that_lost_its_lease_records_nothing_and_tells_no_one(
    sandbox: Sandbox, alice: Person, queue: Queue, clock: FakeClock, bot: Bot, heard: Heard
) -> None:
    message_id = await queue.put(alice.chat_id, "Check-in")

    async with Stalled(sandbox, queue, "sender-a", heard) as slow:
        clock.advance(LAPSE)
        await queue.sender(bot, "sender-b", heard=heard).deliver_due()
        [taken_over] = sandbox.messages_to(alice)
        slow.release.set()  # the first sender wakes up, and its copy goes through too
        assert slow.task is not None
        await slow.task

    stored = await queue.row(message_id)
    assert (stored.status, stored.telegram_message_id) == (
        OutboxStatus.SENT,
        taken_over["message_id"],
    )
    assert heard.told("delivered") == [message_id]


# Several senders ------------------------------------------------------------------------


async def test_two_senders_at_once_never_claim_the_same_message(
    sandbox: Sandbox, queue: Queue, bot: Bot
) -> None:
    wards = [sandbox.group(f"Ward {n}") for n in range(6)]
    senders = [
        queue.sender(bot, owner, pacer=queue.pacer(overall_per_second=1e4, group_per_minute=10**4))
        for owner in ("sender-a", "sender-b")
    ]
    rounds = 50

    for n in range(rounds):
        for ward in wards:
            await queue.put(ward.chat_id, f"round {n}")
        await asyncio.gather(*(sender.deliver_due(limit=4) for sender in senders))
        await senders[0].deliver_due()  # what neither got to (a lost race on SQLite)

    claimed = [(m.status, m.attempts) for m in await queue.rows()]
    assert claimed == [(OutboxStatus.SENT, 1)] * (rounds * len(wards))
    for ward in wards:
        assert texts(sandbox, ward) == [f"round {n}" for n in range(rounds)]


@pytest.mark.parametrize(
    "owners",
    [("sender-a", "sender-b"), ("sender-a", "sender-a")],
    ids=["two senders", "one sender twice"],
)
async def test_claims_taken_at_the_same_moment_never_share_a_row(
    sessions: Sessions, clock: FakeClock, owners: tuple[str, str]
) -> None:
    async def take(owner: str) -> set[int]:
        async with sessions.begin() as session:
            taken = await claim(
                session,
                OutboxMessage,
                claimable=OutboxMessage.status == OutboxStatus.PENDING,
                order_by=[OutboxMessage.id],
                owner=owner,
                now=clock.now(),
                lease=LEASE,
                limit=4,
                values={"status": OutboxStatus.SENDING},
            )
        return {message.id for message in taken}

    for _ in range(50):
        async with sessions.begin() as session:
            for _ in range(6):
                enqueue(session, chat_id=-5_000_001, now=clock.now(), purpose="test", payload={})
        first, second = await asyncio.gather(*(take(owner) for owner in owners))
        assert not first & second
        async with sessions.begin() as session:
            sending = select(OutboxMessage.id, OutboxMessage.lease_owner).where(
                OutboxMessage.status == OutboxStatus.SENDING
            )
            leased = dict((await session.execute(sending)).tuples().all())
            await session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
        assert leased == {i: owners[0] for i in first} | {i: owners[1] for i in second}


# Every Telegram error, and what becomes of the message -----------------------------------


@dataclass(frozen=True)
class Expected:
    status: OutboxStatus
    hook: str | None = None  # which delivery hook hears of it
    wait: float | None = None  # seconds until it is due again
    doubted: bool = False  # recorded as possibly delivered (a resend may duplicate it)
    fatal: bool = False  # the sender stops: the bot itself is misconfigured


ERRORS: list[tuple[str, Fault | None, Expected]] = [
    ("429 retry_after 1", TooManyRequests(retry_after=1), Expected(OutboxStatus.PENDING, wait=1)),
    ("429 retry_after 7", TooManyRequests(retry_after=7), Expected(OutboxStatus.PENDING, wait=7)),
    (
        "429 retry_after 60",
        TooManyRequests(retry_after=60),
        Expected(OutboxStatus.PENDING, wait=60),
    ),
    ("403 blocked", Blocked(), Expected(OutboxStatus.FAILED, hook="unreachable")),
    ("403 deactivated", Deactivated(), Expected(OutboxStatus.FAILED, hook="unreachable")),
    ("400 chat not found", ChatNotFound(), Expected(OutboxStatus.FAILED, hook="unreachable")),
    ("400 can't parse entities", CantParseEntities(), Expected(OutboxStatus.FAILED)),
    ("400 message is not modified", NotModified(), Expected(OutboxStatus.SENT, hook="delivered")),
    ("chat migrated", Migrated(), Expected(OutboxStatus.PENDING, hook="migrated", wait=0)),
    ("409 conflict", Conflict(), Expected(OutboxStatus.PENDING, fatal=True)),
    ("401 invalid token", Unauthorized(), Expected(OutboxStatus.PENDING, fatal=True)),
    ("connect timeout", None, Expected(OutboxStatus.PENDING, wait=2)),
    ("read timeout", Slow(seconds=1), Expected(OutboxStatus.PENDING, wait=0, doubted=True)),
    ("502", ServerError(502), Expected(OutboxStatus.PENDING, wait=2)),
    ("malformed JSON", MalformedBody(), Expected(OutboxStatus.PENDING, wait=0, doubted=True)),
]


@pytest.mark.parametrize(("fault", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
async def test_each_telegram_error_has_its_outcome(
    sandbox: Sandbox,
    alice: Person,
    queue: Queue,
    clock: FakeClock,
    heard: Heard,
    fault: Fault | None,
    expected: Expected,
) -> None:
    message_id = await queue.put(alice.chat_id, "Check-in")
    if fault is None:  # nothing listens there: the connection is never made
        request = HTTPXRequest()
        base_url = f"http://127.0.0.1:{closed_port()}/bot"
    else:
        sandbox.fail_next("sendMessage", error=fault)
        request = sandbox.request(read_timeout=0.3 if isinstance(fault, Slow) else 10.0)
        base_url = f"{sandbox.url}/bot"
    sender = queue.sender(Bot(sandbox.token, base_url=base_url, request=request), heard=heard)
    try:
        if expected.fatal:
            with pytest.raises(FatalDeliveryError):
                await sender.deliver_due()
        else:
            await sender.deliver_due()
    finally:
        await request.shutdown()

    stored = await queue.row(message_id)
    assert stored.status is expected.status
    assert [name for name, _, _ in heard.calls] == ([expected.hook] if expected.hook else [])
    assert (stored.uncertain_at is not None) is expected.doubted
    assert stored.lease_owner is None  # settled or back in the queue, never stranded
    if expected.wait is not None:
        assert stored.not_before == clock.now() + timedelta(seconds=expected.wait)
    if isinstance(fault, TooManyRequests) and fault.retry_after >= 7:
        # The chat is held in real time too (a busy machine may take a few seconds here).
        assert sender._pacer.wait_for(alice.chat_id) > fault.retry_after - 5
