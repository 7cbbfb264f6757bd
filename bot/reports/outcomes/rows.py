"""What the outcomes report computes from: plain rows, read once from the database.

Nothing here knows SQL: the statistics take these rows, so that they can be tested on
hand-made data and on a synthetic cohort alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# A milestone's test on one check-in's answers: met, not met, or None (item not answered).
MilestoneTest = Callable[[Mapping[str, Any]], bool | None]


@dataclass(frozen=True, slots=True)
class MilestoneDefinition:
    """A recovery milestone as the pathway's protocol file states it."""

    id: str
    label: str  # e.g. "walking ≥ outside_long", from the file's condition
    test: MilestoneTest


@dataclass(frozen=True, slots=True)
class CheckInRecord:
    """One check-in the schedule planned (scheduled or discharge-evening) and its answers."""

    pod: int
    sent: bool
    answered: bool  # completed by the patient
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    """One patient's operation and follow-up, with its planned check-ins by POD."""

    episode_id: int
    pathway: str  # the protocol id, e.g. spine-miss-lumbar
    approach: str  # MISS, open, or "unknown"
    operation: str  # decompression, fusion, or "unknown"
    surgery_date: date
    status: str
    check_ins: tuple[CheckInRecord, ...] = ()
    milestones: tuple[MilestoneDefinition, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert, with what the report needs to judge how it was answered."""

    alert_id: int
    episode_id: int
    pathway: str
    tier: str
    cause: str  # rule, non_response, declined, paused, unreachable
    rules: tuple[str, ...]
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    outcome: str | None  # as recorded at resolve (false_alarm, readmitted…)
    clavien_dindo: str | None  # the grade recorded at resolve; None: no complication
    night: bool  # opened outside daytime (08:00–22:00 in the team's time zone)
    ack_minutes: float | None  # wall-clock minutes to acknowledge
    ack_counted_minutes: float | None  # as the target counts them (daytime only for amber)
    target_minutes: int | None  # the protocol's acknowledge target for the tier
    escalations: int  # escalation steps run while nobody acknowledged
