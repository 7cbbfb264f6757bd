"""What the pipeline records for a synthetic patient, worked out with the clinic's code alone.

The same schedule (``plan_check_ins``), the same conversation (``start``, ``next_question``,
``take_reply``) and the same replies (``reply_to``) as the pipeline, without a database or a
clock: for statistics at sizes the pipeline takes too long to live through, and for loading
a large cohort in bulk. The pipeline test holds the two to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.patients.synthetic.answers import reply_to
from bot.patients.synthetic.model import SyntheticPatient
from flows import (
    CheckInKind,
    PastCheckIn,
    PlannedCheckIn,
    Protocol,
    next_question,
    plan_check_ins,
    start,
    take_reply,
)

LANGUAGE = "en"


@dataclass(frozen=True)
class LivedCheckIn:
    planned: PlannedCheckIn
    answered: bool
    answers: dict[str, Any]


def lived(patient: SyntheticPatient, protocol: Protocol, zone: str) -> list[LivedCheckIn]:
    """Each planned check-in of the patient, answered or not, with its recorded answers."""
    found: list[LivedCheckIn] = []
    past: list[PastCheckIn] = []
    for planned in plan_check_ins(protocol, patient.surgery_date, patient.discharge_date, zone):
        if not patient.answers_on(planned.pod):
            found.append(LivedCheckIn(planned, answered=False, answers={}))
            past.append(PastCheckIn(pod=planned.pod, missed=True, kind=planned.kind.value))
            continue
        state = start(protocol, planned.pod, CheckInKind(planned.kind), past)
        while (question := next_question(protocol, state, LANGUAGE)) is not None:
            result = take_reply(
                protocol, state, reply_to(patient, protocol, question, planned.pod), LANGUAGE, past
            )
            if result.reask is not None:
                raise ValueError(f"{question.id} was not understood")
            state = result.state
        answers = dict(state.answers)
        found.append(LivedCheckIn(planned, answered=True, answers=answers))
        past.append(PastCheckIn(pod=planned.pod, answers=answers, kind=planned.kind.value))
    return found
