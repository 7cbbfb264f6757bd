"""Three ledgers reconciled: the schedule as planned before the run, what the database
recorded, and every call the sandbox received. The figures say what was lost, counted
twice, or sent against Telegram's wishes; ``failures`` says which of them must be zero."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tests.chaos.answers import Questionnaire
from tests.chaos.cohort import PlannedCheckIn
from tests.chaos.patients import SentAnswer
from tests.chaos.reconcile.alerts import AlertFigures, reconcile_alerts
from tests.chaos.reconcile.messages import SENDING, Copy, Matching, match
from tests.chaos.reconcile.replies import AnswerFigures, reconcile_answers
from tests.chaos.reconcile.retry_after import TelegramFigures, reconcile_telegram
from tests.chaos.reconcile.schedule import CheckInFigures, reconcile_checkins
from tests.chaos.records import DatabaseRecord, OutboxRecord

JSON = dict[str, Any]


@dataclass(frozen=True)
class Ledgers:
    plan: list[PlannedCheckIn]  # the schedule's word, before the run
    database: DatabaseRecord  # the bot's
    calls: list[JSON]  # the sandbox's
    given: list[SentAnswer]  # what the patients did
    given_again: int
    red_flags: dict[int, str]  # episode -> the item its patient reports a red flag at
    questionnaire: Questionnaire


@dataclass
class MessageFigures:
    recorded: int = 0  # outbox rows that put a message in a chat
    delivered: int = 0
    lost: int = 0  # never reached the chat, and not cancelled for a reason
    # Sent in doubt (no answer after the request left) as many times as the outbox allows,
    # and in fact not arrived: the bot cannot know, and by design sends no further copy.
    left_uncertain: int = 0
    unfinished: int = 0  # still waiting to go when the run ended
    uncertain_sends: int = 0  # sends in doubt, each of which may have put a copy in a chat
    duplicates: int = 0  # copies beyond the one each row asked for
    duplicates_after_uncertain: int = 0  # of those, copies of a row whose send was in doubt
    lost_examples: list[str] = field(default_factory=list)
    # Copies no uncertain send explains: the row and each extra copy, to find the cause.
    duplicate_examples: list[str] = field(default_factory=list)


@dataclass
class Figures:
    checkins: CheckInFigures
    answers: AnswerFigures
    alerts: AlertFigures
    messages: MessageFigures
    telegram: TelegramFigures
    inbox_unprocessed: int
    inbox_failed: int

    def failures(self) -> list[str]:
        """Every loss, in words; empty when the run kept everything."""
        checks = [
            (self.checkins.lost, "check-ins lost"),
            (
                self.checkins.stranded - self.checkins.stranded_after_uncertain,
                "check-ins stranded (a question never reached the patient)",
            ),
            (self.answers.lost, "answers lost"),
            (self.answers.double_counted, "answers counted twice"),
            (self.alerts.lost, "alerts lost"),
            (self.messages.lost, "messages lost"),
            (
                self.messages.duplicates - self.messages.duplicates_after_uncertain,
                "duplicate messages not after an uncertain send",
            ),
            (
                max(0, self.messages.duplicates - self.messages.uncertain_sends),
                "duplicate messages beyond the uncertain sends",
            ),
            (self.telegram.before_retry_after, "requests before retry_after ran out"),
            (self.inbox_unprocessed, "updates stored and never processed"),
        ]
        return [f"{what}: {count}" for count, what in checks if count > 0]

    def to_json(self) -> JSON:
        return {**asdict(self), "failures": self.failures()}


def _seen(copy: Copy | None) -> str:
    if copy is None:
        return "nothing"
    return f"call {copy.seq} (chat {copy.chat_id}, message {copy.message_id}, {copy.text[:30]!r})"


def reconcile_messages(outbox: list[OutboxRecord], matching: Matching) -> MessageFigures:
    rows = [r for r in outbox if r.method in SENDING]
    figures = MessageFigures(recorded=len(rows), delivered=len(matching.delivered))
    for row in rows:
        if row.id in matching.delivered or row.status == "cancelled":
            continue
        if row.status == "uncertain":
            figures.left_uncertain += 1
            continue
        if row.status in ("pending", "sending"):
            figures.unfinished += 1
        figures.lost += 1
        if len(figures.lost_examples) < 10:
            figures.lost_examples.append(f"outbox {row.id} ({row.purpose}, {row.status})")
    figures.uncertain_sends = sum(r.doubtful_sends for r in rows)
    by_id = {r.id: r for r in rows}
    for row_id, copies in matching.duplicates.items():
        figures.duplicates += len(copies)
        row = by_id[row_id]
        if row.doubtful_sends:
            figures.duplicates_after_uncertain += len(copies)
        elif len(figures.duplicate_examples) < 10:
            first = matching.delivered.get(row_id)
            figures.duplicate_examples.append(
                f"outbox {row.id} ({row.purpose}, {row.status}, message {row.telegram_message_id})"
                f" delivered as {_seen(first)}, again as {', '.join(map(_seen, copies))}"
            )
    figures.duplicates += len(matching.strays)
    for copy in matching.strays[: max(0, 10 - len(figures.duplicate_examples))]:
        figures.duplicate_examples.append(f"stray {_seen(copy)}")
    return figures


def reconcile(ledgers: Ledgers) -> Figures:
    database = ledgers.database
    matching = match(database.outbox, ledgers.calls)
    checkin_ids = {p.checkin_id for p in ledgers.plan}
    return Figures(
        checkins=reconcile_checkins(ledgers.plan, database, matching),
        answers=reconcile_answers(
            ledgers.given, ledgers.given_again, checkin_ids, database, ledgers.questionnaire
        ),
        alerts=reconcile_alerts(ledgers.plan, ledgers.red_flags, database, matching),
        messages=reconcile_messages(database.outbox, matching),
        telegram=reconcile_telegram(ledgers.calls),
        inbox_unprocessed=database.inbox_unprocessed,
        inbox_failed=database.inbox_failed,
    )
