"""The care team's side: alert burden, alert precision, time to acknowledge, complications.

A *confirmed complication* is an alert resolved with a Clavien–Dindo grade (the nurse's
answer at resolve; "no complication" records none). A rule's precision is the share of the
resolved alerts it took part in that were confirmed complications: alerts still open, or
resolved before outcomes were recorded, are not counted either way.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from bot.reports.outcomes.rows import AlertRecord

TIERS = ("amber", "red_urgent", "red_emergency")
# Outcomes and grades as the alert card offers them (bot.telegram.render.team).
OUTCOMES = ("false_alarm", "advice_given", "clinic_visit", "emergency_department", "readmitted")
GRADES = ("I", "II", "IIIa", "IIIb", "IVa", "IVb", "V")


def rates(alerts: Sequence[AlertRecord], patient_days: int) -> list[dict[str, Any]]:
    """Alerts per 100 patient-days, by tier."""
    by_tier = Counter(a.tier for a in alerts)
    return [
        {
            "tier": tier,
            "alerts": by_tier[tier],
            "patient_days": patient_days,
            "per_100_patient_days": (
                round(100 * by_tier[tier] / patient_days, 2) if patient_days else None
            ),
        }
        for tier in TIERS
    ]


def confirmed(alert: AlertRecord) -> bool:
    return alert.clavien_dindo is not None


def precision_by_rule(alerts: Iterable[AlertRecord]) -> list[dict[str, Any]]:
    resolved: Counter[str] = Counter()
    complications: Counter[str] = Counter()
    for alert in alerts:
        if alert.outcome is None:
            continue
        for rule in set(alert.rules):
            resolved[rule] += 1
            complications[rule] += confirmed(alert)
    return [
        {
            "rule": rule,
            "n": resolved[rule],
            "confirmed": complications[rule],
            "precision": round(100 * complications[rule] / resolved[rule], 1),
        }
        for rule in sorted(resolved)
    ]


def acknowledgement(alerts: Iterable[AlertRecord]) -> list[dict[str, Any]]:
    """Minutes to acknowledge (median, p90) by tier, daytime and night, and the share within
    the protocol's target (counted as the target counts: daytime minutes for amber)."""
    groups: dict[tuple[str, str], list[AlertRecord]] = defaultdict(list)
    for alert in alerts:
        if alert.ack_minutes is not None:
            groups[(alert.tier, "night" if alert.night else "day")].append(alert)
    rows = []
    for tier in TIERS:
        for period in ("day", "night"):
            group = groups.get((tier, period), [])
            if not group:
                continue
            minutes = np.array([a.ack_minutes for a in group], dtype=float)
            targeted = [a for a in group if a.target_minutes is not None]
            within = sum(
                1
                for a in targeted
                if a.ack_counted_minutes is not None
                and a.target_minutes is not None
                and a.ack_counted_minutes <= a.target_minutes
            )
            rows.append(
                {
                    "tier": tier,
                    "period": period,
                    "n": len(group),
                    "median_minutes": round(float(np.median(minutes)), 1),
                    "p90_minutes": round(float(np.percentile(minutes, 90)), 1),
                    "target_minutes": _target(targeted),
                    "within_target": within,
                    "within_target_percent": (
                        round(100 * within / len(targeted), 1) if targeted else None
                    ),
                }
            )
    return rows


def _target(alerts: Sequence[AlertRecord]) -> int | None:
    targets = {a.target_minutes for a in alerts}
    return targets.pop() if len(targets) == 1 else None


def follow_up_counts(alerts: Sequence[AlertRecord]) -> dict[str, Any]:
    """Escalations run, alerts raised by non-response, alerts not yet acknowledged."""
    return {
        "escalations": sum(a.escalations for a in alerts),
        "alerts_escalated": sum(1 for a in alerts if a.escalations),
        "non_response_alerts": sum(1 for a in alerts if a.cause == "non_response"),
        "never_acknowledged": sum(1 for a in alerts if a.acknowledged_at is None),
        "resolved": sum(1 for a in alerts if a.outcome is not None),
    }


def complications(alerts: Iterable[AlertRecord]) -> list[dict[str, Any]]:
    """Per pathway: resolved alerts by outcome and by Clavien–Dindo grade, as recorded."""
    by_pathway: dict[str, list[AlertRecord]] = defaultdict(list)
    for alert in alerts:
        if alert.outcome is not None:
            by_pathway[alert.pathway].append(alert)
    rows = []
    for pathway, group in sorted(by_pathway.items()):
        outcomes = Counter(a.outcome for a in group)
        grades = Counter(a.clavien_dindo for a in group if a.clavien_dindo is not None)
        rows.append(
            {
                "pathway": pathway,
                "n": len(group),
                "outcomes": {o: outcomes[o] for o in OUTCOMES},
                "grades": {g: grades[g] for g in GRADES},
                "complications": sum(grades.values()),
                "readmissions": outcomes["readmitted"],
            }
        )
    return rows
