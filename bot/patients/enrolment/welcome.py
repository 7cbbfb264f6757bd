"""What a patient is told the follow-up will do, and what to do in an emergency: the same
words in the bot's welcome and on the printed enrolment sheet."""

from __future__ import annotations

from bot.checkins.concern import expected_within
from bot.i18n import t
from flows import Protocol


def welcome_text(
    language: str, *, team: str, procedure: str | None, protocol: Protocol, emergency_number: str
) -> str:
    targets = protocol.escalation
    response_times = t(
        language,
        "response_times",
        urgent=expected_within(targets.red_urgent),
        routine=expected_within(targets.amber),
    )
    return t(
        language,
        "welcome",
        team=team,
        procedure=f" ({procedure})" if procedure else "",
        response_times=response_times,
        emergency_number=emergency_number,
    )
