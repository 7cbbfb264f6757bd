"""When check-ins happen and which questions each one asks."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import Field

from flows.schema.common import Identifier, LocalTime, PodList, SourceField, Strict

Asks = Annotated[
    tuple[Identifier, ...],
    Field(min_length=1, description="Item or group ids, asked in the order of the item list"),
]
Hours = Annotated[float, Field(gt=0, le=72)]


class QuestionBlock(Strict):
    """These questions are asked at the check-ins of these PODs."""

    pods: PodList
    ask: Asks
    source: SourceField


class EveningCheck(Strict):
    """A POD 0 safety check, only for patients who go home on the day of surgery."""

    time: LocalTime
    ask: Asks
    source: SourceField


class DischargeEvening(Strict):
    """A safety check on the evening of the day the patient goes home, whatever the POD."""

    time: LocalTime
    ask: Asks
    reminder_after_hours: Hours
    missed_after_hours: Hours
    source: SourceField


class QuietHours(Strict):
    """Nothing is sent between start and end (local time), except replies and emergencies."""

    start: LocalTime
    end: LocalTime

    def covers(self, moment: time) -> bool:
        """Whether a local time of day is quiet; the start is quiet, the end is not."""
        start, end = clock(self.start), clock(self.end)
        if start <= end:
            return start <= moment < end
        return moment >= start or moment < end  # the quiet hours span midnight


class Schedule(Strict):
    source: SourceField
    time: LocalTime = Field(description="Local time of every scheduled check-in")
    check_ins: PodList
    questions: Annotated[tuple[QuestionBlock, ...], Field(min_length=1)]
    same_day_discharge_evening: EveningCheck | None = None
    discharge_evening: DischargeEvening | None = None
    home_days_only: bool = Field(
        False,
        description="Check-ins start the day after discharge (the day after surgery when "
        "no discharge date is given); days in hospital are not asked",
    )
    reminder_after_hours: Hours
    missed_after_hours: Hours
    quiet_hours: QuietHours
    concern: Asks = Field(description="The screen run when the patient reports a concern")


def clock(hhmm: str) -> time:
    """ "09:30" as a time of day (the format is checked when the file is read)."""
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))
