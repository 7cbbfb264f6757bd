"""Small cells: in the shown report (HTML, JSON) a count from 1 to 4 reads "<5".

A group of fewer than five patients (or alerts, or answers) shows no statistic at all: a
median or a curve of two people is those two people; nor does a share or a rate whose count
is under five (it would tell the count). Zero is shown: it describes nobody.
The CSV, the hospital's own data, is never masked.
"""

from __future__ import annotations

from typing import Any

SMALL = 5
HIDDEN = "<5"
NOTE = (
    "Small cells: counts from 1 to 4 are shown as \u201c<5\u201d; a statistic over fewer than 5 "
    "(a median, a curve), and a share or rate made from a count under 5, are not shown. "
    "The CSV export keeps exact counts."
)
# Keys whose values count people, answers or alerts; the values of the mappings under
# COUNTED_MAPS are counts too.
COUNTS = frozenset(
    {
        "patients", "n", "events", "answered", "check_ins_sent", "check_ins_answered",
        "alerts", "confirmed", "within_target", "escalations", "alerts_escalated",
        "non_response_alerts", "never_acknowledged", "resolved", "complications",
        "readmissions",
    }
)  # fmt: skip
# Keys that say how many a row's statistics are over.
GROUP_SIZES = ("n", "patients")
COUNTED_MAPS = frozenset({"counts", "outcomes", "grades"})
# A share or a rate made from a count: shown only when that count is (it would tell it).
DERIVED_FROM = {
    "response_rate": ("check_ins_answered", "answered"),
    "per_100_patient_days": ("alerts",),
    "precision": ("confirmed",),
    "within_target_percent": ("within_target",),
}
LABELS = frozenset({"group", "pathway", "item", "tier", "period", "rule", "condition", "pod"})


def is_small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL


def shown(value: Any) -> Any:
    return HIDDEN if is_small(value) else value


def hidden(report: Any) -> Any:
    """A copy of ``report`` with small counts masked and small groups' statistics removed."""
    if isinstance(report, list):
        return [hidden(v) for v in report]
    if not isinstance(report, dict):
        return report
    if any(is_small(report.get(size)) for size in GROUP_SIZES):
        return {k: _blank(k, v) for k, v in report.items()}
    masked: dict[str, Any] = {}
    for key, value in report.items():
        if any(is_small(report.get(count)) for count in DERIVED_FROM.get(key, ())):
            masked[key] = None
        elif key in COUNTS and isinstance(value, int):
            masked[key] = shown(value)
        elif key in COUNTED_MAPS and isinstance(value, dict):
            masked[key] = {k: shown(v) for k, v in value.items()}
        else:
            masked[key] = hidden(value)
    return masked


def _blank(key: str, value: Any) -> Any:
    """A field of a group under five: labels stay, counts read "<5", the rest goes."""
    if key in LABELS:
        return value
    if key in COUNTS:
        return shown(value)
    if isinstance(value, list | tuple):
        return []
    if isinstance(value, dict):
        return {k: shown(v) if is_small(v) else None for k, v in value.items()}
    return None
