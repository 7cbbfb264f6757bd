"""The care team's digest as values: where the team's patients stand at one instant.

What is counted, and how, is ``bot.reports.digest``; how it reads, the renderers'.
Patients appear by their pseudonymous reference only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.alert_age import AlertAge
from flows.tiers import Tier


@dataclass(frozen=True)
class OverdueAlert:
    alert_id: int
    tier: Tier
    patient_ref: str
    age: AlertAge


@dataclass(frozen=True)
class Digest:
    team: str
    local_time: datetime  # the instant of the digest, in the team's time zone
    patients: int
    by_tier: dict[Tier, tuple[str, ...]]  # every tier, most urgent first
    no_tier_yet: tuple[str, ...]
    missed: tuple[str, ...]  # one reference per missed check-in, oldest first
    behind: tuple[tuple[str, tuple[str, ...]], ...]  # reference, milestone ids
    overdue_alerts: tuple[OverdueAlert, ...]  # oldest first
    paused: tuple[str, ...]  # by the patient (/stop)
    unreachable: tuple[str, ...]
    on_hold: tuple[str, ...] = ()  # paused by the team, e.g. readmitted
