"""What becomes of an outbox message after a send: the row's new values, who is told, and
writing both down in the transaction that records the outcome."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, cast, literal, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.outcomes import Classified, Outcome
from db.models import OutboxMessage, OutboxStatus
from db.write_turns import SENDER, write_turn

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)
# Sends that may or may not have arrived (no answer after the request left). Each is
# followed by another send: a duplicate is better than a lost red flag. Doubts come from
# a slow or dropped connection or a process dying mid-request, rarely many times running;
# after this many the message is left *uncertain* rather than risk a sixth copy.
MAX_DOUBTFUL_SENDS = 5

# Called in the transaction that records the outcome, with the instant it was recorded.
Hook = Callable[[AsyncSession, OutboxMessage, Classified, datetime], Awaitable[None]]


@dataclass
class DeliveryHooks:
    """What the rest of the program wants to hear about deliveries."""

    delivered: list[Hook] = field(default_factory=list)
    unreachable: list[Hook] = field(default_factory=list)
    migrated: list[Hook] = field(default_factory=list)


@dataclass(frozen=True)
class Settled:
    """What became of one send, waiting to be written."""

    message: OutboxMessage
    verdict: Classified
    values: dict[str, Any]
    hooks: list[Hook]
    now: datetime

    @property
    def due_again(self) -> datetime | None:
        """When the message is due again; None when it is settled for good."""
        if self.values["status"] is not OutboxStatus.PENDING:
            return None
        due: datetime = self.values.get("not_before", self.now)
        return due


def settle(
    message: OutboxMessage,
    verdict: Classified,
    message_id: int | None,
    hooks: DeliveryHooks,
    now: datetime,
) -> Settled:
    """The row's values after ``verdict`` (``message_id``: Telegram's, when delivered)."""
    # ``sent_at`` marked the request as begun; only a delivery keeps it.
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "sent_at": None}
    told: list[Hook] = []
    match verdict.outcome:
        case Outcome.DELIVERED:
            values |= {"status": OutboxStatus.SENT, "sent_at": now}
            values["telegram_message_id"] = message_id
            message.telegram_message_id = message_id  # for the hooks
            told = hooks.delivered
        case Outcome.RETRY:
            if verdict.retry_after:
                wait = timedelta(seconds=verdict.retry_after)
            else:
                wait = min(timedelta(seconds=2 ** min(message.attempts, 10)), MAX_BACKOFF)
            values |= {"status": OutboxStatus.PENDING, "not_before": now + wait}
        case Outcome.MIGRATED:
            values |= {"status": OutboxStatus.PENDING, "chat_id": verdict.new_chat_id}
            told = hooks.migrated
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
            told = hooks.unreachable
        case Outcome.PERMANENT:
            values |= {"status": OutboxStatus.FAILED}
        case Outcome.FATAL:
            values |= {"status": OutboxStatus.PENDING}
    if verdict.outcome is not Outcome.DELIVERED:
        values["last_error"] = verdict.reason
    return Settled(message, verdict, values, told, now)


class OutcomeWriter:
    """Writes settled sends, each only if this sender still holds the message."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], owner: str) -> None:
        self._sessions = sessions
        self._owner = owner

    async def __call__(self, outcomes: list[Settled]) -> list[bool | BaseException]:
        """Each outcome recorded (True) or found to belong to another sender now (False).
        One transaction for all; if it fails, one each, so that a single bad outcome (a
        hook that fails) costs no other message its record."""
        if len(outcomes) > 1:
            try:
                async with write_turn(self._sessions, SENDER), self._sessions.begin() as session:
                    return list(await self._write(session, outcomes))
            except Exception:
                log.warning("outcomes of %s messages written one by one", len(outcomes))
        written: list[bool | BaseException] = []
        for outcome in outcomes:
            try:
                async with write_turn(self._sessions, SENDER), self._sessions.begin() as session:
                    written += await self._write(session, [outcome])
            except Exception as error:
                written.append(error)
        return written

    async def _write(self, session: AsyncSession, outcomes: list[Settled]) -> list[bool]:
        """One UPDATE for the outcomes that set the same columns (most often: all of them
        delivered), the values that differ from row to row chosen by id; then the hooks
        of those this sender still held."""
        alike: dict[tuple[str, ...], list[Settled]] = {}
        for outcome in outcomes:
            alike.setdefault(tuple(sorted(outcome.values)), []).append(outcome)
        held: set[int] = set()
        typed = session.get_bind().dialect.name == "postgresql"
        for columns, group in alike.items():
            held.update(
                await session.scalars(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id.in_([outcome.message.id for outcome in group]),
                        OutboxMessage.lease_owner == self._owner,
                    )
                    .values({column: _by_id(column, group, typed) for column in columns})
                    .returning(OutboxMessage.id)
                    .execution_options(synchronize_session=False)
                )
            )
        for outcome in outcomes:
            if outcome.message.id in held:
                for hook in outcome.hooks:
                    await hook(session, outcome.message, outcome.verdict, outcome.now)
        return [outcome.message.id in held for outcome in outcomes]


def _by_id(column: str, outcomes: list[Settled], typed: bool) -> Any:
    """The column's new value: the same for every row, or each row's own by its id.
    ``typed``: each value cast to the column's type, which PostgreSQL needs to type a CASE
    of parameters; SQLite must not have it (CAST AS DATETIME there makes a number)."""
    values = [outcome.values[column] for outcome in outcomes]
    if all(value == values[0] for value in values):
        return values[0]
    kind = OutboxMessage.__table__.c[column].type
    return case(
        {
            outcome.message.id: cast(literal(value, kind), kind) if typed else literal(value, kind)
            for outcome, value in zip(outcomes, values, strict=True)
        },
        value=OutboxMessage.id,
    )
