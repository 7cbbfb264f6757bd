"""Answers: what the patients sent, against what the database recorded, and how often."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.chaos.answers import Questionnaire
from tests.chaos.patients import SentAnswer
from tests.chaos.records import DatabaseRecord, OutboxRecord


@dataclass
class AnswerFigures:
    given: int = 0  # answers the patients gave (each question once)
    given_again: int = 0  # the same press again, or the same update delivered again
    recorded: int = 0
    recorded_late: int = 0  # of those, kept after the check-in's window closed
    lost: int = 0  # given, never recorded
    # The same item recorded twice, one update applied to two questions, an answer nobody
    # gave, or a check-in completed twice.
    double_counted: int = 0
    double_counted_examples: list[str] = field(default_factory=list)


def _question(questionnaire: Questionnaire, item: str) -> str:
    return next((g for g, items in questionnaire.groups.items() if item in items), item)


def reconcile_answers(
    given: list[SentAnswer],
    given_again: int,
    checkin_ids: set[int],
    database: DatabaseRecord,
    questionnaire: Questionnaire,
) -> AnswerFigures:
    figures = AnswerFigures(given=len(given), given_again=given_again)
    rows = [a for a in database.answers if a.checkin_id in checkin_ids]
    stored = {(a.checkin_id, a.item_id) for a in rows}
    for answer in given:
        items = questionnaire.items_of(answer.question_id)
        if any((answer.checkin_id, item) in stored for item in items):
            figures.recorded += 1
        else:
            figures.lost += 1
    figures.recorded_late = len(
        {(a.checkin_id, _question(questionnaire, a.item_id)) for a in rows if a.late}
    )

    def double(example: str) -> None:
        figures.double_counted += 1
        if len(figures.double_counted_examples) < 10:
            figures.double_counted_examples.append(example)

    for (checkin_id, item), times in Counter((a.checkin_id, a.item_id) for a in rows).items():
        if times > 1:
            double(f"check-in {checkin_id}: {item} recorded {times} times")
    questions_by_update: dict[int, set[str]] = defaultdict(set)
    for a in rows:
        if a.update_id is not None:
            questions_by_update[a.update_id].add(_question(questionnaire, a.item_id))
    for update_id, questions in questions_by_update.items():
        if len(questions) > 1:
            double(f"update {update_id} answered {len(questions)} questions")
    asked = {(a.checkin_id, a.question_id) for a in given}
    for a in rows:
        if (a.checkin_id, _question(questionnaire, a.item_id)) not in asked:
            double(f"check-in {a.checkin_id}: {a.item_id} recorded, never given")
    double_summaries(database.outbox, checkin_ids, double)
    return figures


def double_summaries(
    outbox: list[OutboxRecord], checkin_ids: set[int], double: Callable[[str], None]
) -> None:
    """A check-in completed twice sends its summary twice (two rows, not two copies)."""
    summaries = Counter(
        m.checkin_id for m in outbox if m.purpose == "checkin_summary" and m.checkin_id
    )
    for checkin_id, times in summaries.items():
        if checkin_id in checkin_ids and times > 1:
            double(f"check-in {checkin_id} completed {times} times")
