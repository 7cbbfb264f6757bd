"""Check-ins: what the schedule said was due, against what the patients were sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.checkins.unsent import HEADER as UNSENT_HEADER
from bot.telegram.callbacks import AnswerChoice, decode
from tests.chaos.cohort import PlannedCheckIn
from tests.chaos.patients import Behaviour
from tests.chaos.reconcile.messages import Matching
from tests.chaos.records import DatabaseRecord

# Why a follow-up may stop sending check-ins: each is a reason the team was told about.
STOPPED = frozenset({"paused", "declined", "withdrawn", "unreachable"})


@dataclass
class CheckInFigures:
    due: int = 0
    sent: int = 0  # the first question reached the patient
    sent_late: int = 0  # of those, with the wording that admits it is late
    completed: int = 0
    missed_unanswered: int = 0  # reached the patient, not finished in its window
    missed_not_sent: int = 0  # never sent in its window, and the team was told who
    cancelled: int = 0  # the follow-up stopped, for a reason the team was told
    lost: int = 0  # due, and neither sent, nor missed nor cancelled with a reason
    # Reached a patient who answers, and still not finished: a question went missing…
    stranded: int = 0
    # … one left uncertain after its last doubtful send (see MessageFigures.left_uncertain).
    stranded_after_uncertain: int = 0
    lost_ids: list[int] = field(default_factory=list)
    stranded_ids: list[int] = field(default_factory=list)


def reached(matching: Matching, planned: PlannedCheckIn) -> bool:
    return any(
        any(_asks(decode(data), planned.checkin_id) for data in copy.buttons)
        for copy in matching.copies_in(planned.chat_id)
    )


def _asks(press: object, checkin_id: int) -> bool:
    return isinstance(press, AnswerChoice) and press.checkin_id == checkin_id


def team_told(matching: Matching, planned: PlannedCheckIn) -> bool:
    line = f"• {planned.ref} · POD "
    return any(
        copy.text.startswith(UNSENT_HEADER) and line in copy.text
        for copy in matching.copies_in(planned.team_chat_id)
    )


def _left_uncertain(database: DatabaseRecord, matching: Matching, checkin_id: int) -> bool:
    """One of the check-in's messages was given up in doubt, and never arrived."""
    return any(
        m.checkin_id == checkin_id and m.status == "uncertain" and m.id not in matching.delivered
        for m in database.outbox
    )


def reconcile_checkins(
    plan: list[PlannedCheckIn], database: DatabaseRecord, matching: Matching
) -> CheckInFigures:
    figures = CheckInFigures(due=len(plan))
    for planned in plan:
        row = database.checkins[planned.checkin_id]
        episode = database.episodes[planned.episode_id]
        if row.status == "cancelled" and episode in STOPPED:
            figures.cancelled += 1
        elif reached(matching, planned):
            figures.sent += 1
            figures.sent_late += row.sent_late
            figures.completed += row.status == "completed"
            figures.missed_unanswered += row.status == "missed"
            if row.status != "completed" and planned.behaviour is not Behaviour.SILENT:
                figures.stranded += 1
                figures.stranded_ids.append(planned.checkin_id)
                figures.stranded_after_uncertain += _left_uncertain(database, matching, row.id)
        elif row.status == "missed" and row.sent_at is None and team_told(matching, planned):
            figures.missed_not_sent += 1
        else:
            figures.lost += 1
            figures.lost_ids.append(planned.checkin_id)
    return figures
