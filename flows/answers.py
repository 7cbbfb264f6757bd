"""Answers and past check-ins, as scoring takes them, and how to check them against a protocol.

An answer is what the patient chose: a number for scales (°C for temperature, after any
conversion), ``True``/``False`` for yes/no, an option id for choices, a file reference for a
photo, words for text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from flows.issues import unknown
from flows.schema.items import (
    ChoiceItem,
    IntegerItem,
    Item,
    NrsItem,
    OrdinalItem,
    PhotoItem,
    TextItem,
    YesNoItem,
    accepted_range,
)
from flows.schema.protocol import Protocol

AnswerValue = bool | int | float | str
Answers = Mapping[str, AnswerValue]


@dataclass(frozen=True, slots=True)
class PastCheckIn:
    """An earlier check-in: its POD and answers, or ``missed=True`` when it went unanswered.

    ``kind`` is the kind of check-in (``scheduled``, ``evening``, ``concern``, ``extra``):
    one the patient started (a concern screen, an extra check-in) counts for the answers it
    gave, not as one of the schedule's daily check-ins."""

    pod: int
    answers: Answers = field(default_factory=dict)
    missed: bool = False
    kind: str = "scheduled"


History = Sequence[PastCheckIn]


def answer_problem(item: Item, value: object) -> str | None:
    """Why ``value`` is not an answer to ``item``, or None when it is one."""
    if isinstance(item, YesNoItem):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(item, ChoiceItem | OrdinalItem):
        options = [option.id for option in item.options]
        if value in options:
            return None
        return f"must be one of {', '.join(options)}"
    if isinstance(item, PhotoItem | TextItem):
        return None if isinstance(value, str) and value else "must be non-empty text"
    accepted = accepted_range(item)
    whole = isinstance(item, NrsItem | IntegerItem)
    if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
        return "must be a whole number" if whole else "must be a number"
    if value not in accepted:
        return f"{value:g} is outside {accepted.words()}"
    return None


def answers_problems(protocol: Protocol, answers: Mapping[str, object]) -> list[str]:
    """Everything wrong with a set of answers, one sentence each; empty when all are fine."""
    problems = []
    for item_id, value in answers.items():
        item = protocol.items_by_id.get(item_id)
        if item is None:
            problems.append(unknown("item", item_id, list(protocol.items_by_id)))
            continue
        problem = answer_problem(item, value)
        if problem is not None:
            problems.append(f"{item_id}: {problem}")
    return problems


def history_from_json(protocol: Protocol, data: Any) -> tuple[PastCheckIn, ...]:
    """Past check-ins from JSON-like data: oldest first, ``{"pod": N, "answers": {...}}`` or
    ``{"pod": N, "missed": true}``, with ``"concern": true`` for a concern screen. Raises
    ValueError saying which entry is wrong and why."""
    if not isinstance(data, list):
        raise ValueError("history must be a list of check-ins, oldest first")
    history = tuple(_past_check_in(protocol, entry, number) for number, entry in enumerate(data, 1))
    for number, (earlier, later) in enumerate(pairwise(history), 2):
        if later.pod < earlier.pod:
            raise ValueError(
                f"history entry {number}: POD {later.pod} comes after POD {earlier.pod}; "
                "list check-ins oldest first"
            )
    return history


def _past_check_in(protocol: Protocol, entry: Any, number: int) -> PastCheckIn:
    where = f"history entry {number}"
    if not isinstance(entry, dict) or set(entry) - {"pod", "answers", "missed", "concern"}:
        raise ValueError(f'{where}: give {{"pod": N, "answers": {{...}}}} or "missed": true')
    pod = entry.get("pod")
    if isinstance(pod, bool) or not isinstance(pod, int) or pod < 0:
        raise ValueError(f"{where}: pod must be a whole number from 0")
    missed = entry.get("missed", False)
    answers = entry.get("answers", {})
    if not isinstance(missed, bool) or not isinstance(answers, dict) or (missed and answers):
        raise ValueError(f"{where}: a check-in has answers or is missed, not both")
    concern = entry.get("concern", False)
    if not isinstance(concern, bool) or (concern and missed):
        raise ValueError(f"{where}: concern is true or false, and a concern is never missed")
    problems = answers_problems(protocol, answers)
    if problems:
        raise ValueError(f"{where}: {'; '.join(problems)}")
    return PastCheckIn(pod, answers, missed, kind="concern" if concern else "scheduled")
