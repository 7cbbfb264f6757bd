"""Conditions and milestones in words a reviewer reads: "temperature ≥ 38.0 and POD ≥ 4"."""

from __future__ import annotations

from typing import Any

from flows.schema.conditions import (
    AllOf,
    AnyOf,
    ChangeIs,
    Comparison,
    Condition,
    ItemIs,
    MilestonesBehind,
    Missed,
    NotThis,
    PodIs,
)
from flows.schema.protocol import Milestone

SYMBOLS = {
    "equals": "=",
    "not_equals": "≠",
    "at_least": "≥",
    "at_most": "≤",
    "above": ">",
    "below": "<",
    "in": "is",
    "not_in": "is not",
}


def value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def comparison_words(subject: str, comparison: Comparison) -> str:
    """``bladder = leaking``, ``wound_bleeding is soaked or swelling``, ``POD ≥ 4``."""
    values = " or ".join(value_words(value) for value in comparison.operands)
    return f"{subject} {SYMBOLS[comparison.operator]} {values}"


def describe(condition: Condition) -> str:
    if isinstance(condition, ItemIs):
        return comparison_words(condition.item, condition)
    if isinstance(condition, ChangeIs):
        since = "since its last answer"
        rise = condition.operator in ("at_least", "above") and condition.operand > 0
        if rise:  # the usual case, read as a rise: "pain_back up ≥ 2 since its last answer"
            return (
                f"{condition.change} up {SYMBOLS[condition.operator]} {condition.operand} {since}"
            )
        return comparison_words(f"change in {condition.change} {since}", condition)
    if isinstance(condition, PodIs):
        return comparison_words("POD", condition.pod)
    if isinstance(condition, Missed):
        spec = condition.missed
        if spec.pod_in is not None:
            return f"the check-in of POD {' or '.join(map(str, spec.pod_in))} missed"
        return f"{spec.in_a_row} check-ins in a row missed"
    if isinstance(condition, MilestonesBehind):
        count = condition.milestones_behind.check_ins
        return f"behind on a milestone at each of the last {count} check-ins that judged one"
    if isinstance(condition, NotThis):
        return f"not ({describe(condition.not_)})"
    if isinstance(condition, AllOf):
        return " and ".join(_nested(inner) for inner in condition.all)
    assert isinstance(condition, AnyOf)
    return " or ".join(_nested(inner) for inner in condition.any)


def _nested(condition: Condition) -> str:
    words = describe(condition)
    return f"({words})" if isinstance(condition, AllOf | AnyOf) else words


def milestone_words(milestone: Milestone) -> str:
    return f"{describe(milestone.expect)} from POD {milestone.from_pod}"
