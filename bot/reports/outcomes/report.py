"""The outcomes report as one plain structure (JSON-ready), from the rows of a scope.

Counts here are exact: ``small_cells.hidden`` makes the shown copy; the CSV never passes
through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.reports.outcomes import burden, by_pod, cohort, survival
from bot.reports.outcomes.rows import AlertRecord, EpisodeRecord

# The milestones the report follows, by their id in the v2 protocol files: walking outside
# for 15 minutes or more, and back pain at 3 or less. Their conditions are read from the files.
REPORTED_MILESTONES = {
    "walking_outside_long": "Walking outside ≥ 15 min",
    "back_pain_3": "Back pain ≤ 3",
}
AT_RISK_DAYS = (0, 7, 14, 21, 30, 42, 60, 90)
INTERVAL_NOTE = (
    "A milestone is seen only when the patient answers a check-in: each time is the day of "
    "the first check-in at which it was reported, so the true day lies between that check-in "
    "and the one before (interval-bounded by the schedule). Patients who had not reached it "
    "are censored at their last check-in that asked it (follow-up ended, or they stopped "
    "answering), never dropped."
)


def build(
    episodes: Sequence[EpisodeRecord],
    alerts: Sequence[AlertRecord],
    *,
    scope: Mapping[str, Any],
    generated_at: datetime,
) -> dict[str, Any]:
    patient_days = sum(cohort.patient_days(e) for e in episodes)
    return {
        "title": "Outcomes report",
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "scope": dict(scope),
        "interval_note": INTERVAL_NOTE,
        "cohort": cohort.cohort_rows(episodes) if episodes else [],
        "response_by_pod": cohort.response_by_pod(episodes),
        "milestones": [
            milestone_section(episodes, milestone_id, label)
            for milestone_id, label in REPORTED_MILESTONES.items()
        ],
        "pain": by_pod.pain_by_pod(episodes),
        "walking": by_pod.levels_by_pod(episodes, "walking", by_pod.WALKING_LEVELS),
        "opioid_use": by_pod.levels_by_pod(episodes, "opioid_use", by_pod.OPIOID_USE),
        "alerts": {
            "rates": burden.rates(alerts, patient_days),
            "precision_by_rule": burden.precision_by_rule(alerts),
            "acknowledgement": burden.acknowledgement(alerts),
            "follow_up": burden.follow_up_counts(alerts),
        },
        "complications": burden.complications(alerts),
    }


def milestone_section(
    episodes: Sequence[EpisodeRecord], milestone_id: str, label: str
) -> dict[str, Any]:
    """Curves per pathway, and the log-rank test MISS vs open stratified by operation."""
    observed: list[tuple[EpisodeRecord, survival.TimeToEvent]] = []
    conditions: dict[str, str] = {}
    for episode in episodes:
        definition = next((m for m in episode.milestones if m.id == milestone_id), None)
        if definition is not None:
            observed.append((episode, survival.time_to(episode, definition)))
            conditions[episode.pathway] = definition.label
    last_day = max((o.pod for _, o in observed), default=0)
    # The days up to the last time seen, and the next one: the curves end inside the axis.
    days = [d for d in AT_RISK_DAYS if d <= last_day]
    days += [d for d in AT_RISK_DAYS if d > last_day][:1]
    curves = []
    for pathway in sorted(conditions):
        times = [o for e, o in observed if e.pathway == pathway]
        curve = survival.kaplan_meier(pathway, times, days)
        shown = asdict(curve) | {"condition": conditions[pathway]}
        shown["at_risk"] = [{"pod": day, "n": n} for day, n in curve.at_risk]
        curves.append(shown)
    compared = [(e, o) for e, o in observed if "unknown" not in (e.approach, e.operation)]
    test = survival.log_rank(
        [o for _, o in compared],
        [e.approach for e, _ in compared],
        [e.operation for e, _ in compared],
    )
    return {
        "id": milestone_id,
        "label": label,
        "at_risk_days": days,
        "curves": curves,
        "log_rank": asdict(test) if test is not None else None,
    }
