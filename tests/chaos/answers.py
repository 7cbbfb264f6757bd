"""What a scripted patient answers, read from the protocol the bot asks from.

Patients press a button of the current question, or type a number where the question
takes one. They never press "skip" or "yes, one or more": every answer they give is then
a recorded answer row, which the reconciliation can look for.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows import Protocol
from flows.schema.items import ChoiceItem, NrsItem, OrdinalItem, Worse, YesNoItem

TYPED_TYPES = {"integer": "1", "number": "36.8"}  # a plausible value of each typed kind
BENIGN_SCORE = "2"  # of 10: a little pain
NONE_OF_THESE = "none"  # a group's reassuring answer
# The red flags scripted patients report: new incontinence (an emergency), a soaked dressing.
RED_FLAGS = {"bladder": "leaking", "wound_bleeding": "soaked"}


@dataclass(frozen=True)
class Questionnaire:
    types: dict[str, str]  # item id -> item type
    texts: dict[str, str]  # typed item id -> its question, in English
    groups: dict[str, tuple[str, ...]]  # group id -> its items
    benign: dict[str, str]  # question id -> the reassuring choice

    @classmethod
    def of(cls, protocol: Protocol) -> Questionnaire:
        benign = {group.id: NONE_OF_THESE for group in protocol.groups}
        for item in protocol.items:
            if isinstance(item, YesNoItem):
                benign[item.id] = "no" if item.concerning else "yes"
            elif isinstance(item, OrdinalItem):
                best = item.options[-1] if item.worse is Worse.LOWER else item.options[0]
                benign[item.id] = best.id
            elif isinstance(item, ChoiceItem):
                benign[item.id] = item.options[0].id  # listed from normal to worst
            elif isinstance(item, NrsItem):
                benign[item.id] = BENIGN_SCORE
        return cls(
            benign=benign,
            types={item.id: item.type for item in protocol.items},
            texts={
                item.id: item.question["en"] for item in protocol.items if item.type in TYPED_TYPES
            },
            groups={group.id: tuple(group.items) for group in protocol.groups},
        )

    def typed_question(self, text: str) -> str | None:
        """The typed item a button-less message asks, if it asks one."""
        return next((item for item, asked in self.texts.items() if text.startswith(asked)), None)

    def is_typed(self, question_id: str) -> bool:
        return self.types.get(question_id) in TYPED_TYPES

    def typed_value(self, question_id: str) -> str:
        return TYPED_TYPES[self.types[question_id]]

    def items_of(self, question_id: str) -> tuple[str, ...]:
        """The answer rows one reply to ``question_id`` records."""
        return self.groups.get(question_id, (question_id,))

    def choose(self, question_id: str, choices: list[str], red_flag: str | None) -> str:
        """The choice to press: the scripted red flag at its question, else a reassuring
        one (never "skip" nor "yes, one or more", which record no answer)."""
        if red_flag == question_id and RED_FLAGS[red_flag] in choices:
            return RED_FLAGS[red_flag]
        benign = self.benign.get(question_id)
        if benign in choices:
            return benign
        return next(c for c in choices if c not in ("skip", "some"))
