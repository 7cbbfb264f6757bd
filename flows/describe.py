"""Conditions and milestones in words a reviewer reads: "temperature ≥ 38.0 and POD ≥ 4"."""

from __future__ import annotations

from typing import Any

from flows.schema.conditions import (
    AllOf,
    AnyOf,
    ChangeIs,
    CheckInIs,
    Comparison,
    Condition,
    Domains,
    ItemIs,
    MilestonesBehind,
    Missed,
    NotThis,
    PodIs,
    PreviousIs,
    RiseIs,
)
from flows.schema.items import IntegerItem, Item, NrsItem, NumberItem
from flows.schema.protocol import Milestone
from flows.units import quantity

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
    if isinstance(condition, RiseIs):
        lowest = f"rise of {condition.rise} over its lowest of the previous {condition.days} days"
        return comparison_words(lowest, condition)
    if isinstance(condition, PreviousIs):
        within = "" if condition.within_days is None else f" within {condition.within_days} days"
        return comparison_words(f"{condition.previous} at the previous answer{within}", condition)
    if isinstance(condition, CheckInIs):
        kind = condition.check_in
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} check-in"
    if isinstance(condition, Domains):
        counted = condition.domains
        domains = "; ".join(f"{name}: {', '.join(rules)}" for name, rules in counted.of.items())
        return f"rules of at least {counted.at_least} different domains hold ({domains})"
    if isinstance(condition, PodIs):
        return comparison_words("POD", condition.pod)
    if isinstance(condition, Missed):
        spec = condition.missed
        if spec.pod_in is not None:
            return f"the check-in of POD {' or '.join(map(str, spec.pod_in))} missed"
        if spec.first is not None:
            first = "the first" if spec.first == 1 else f"one of the first {spec.first}"
            return f"{first} daily check-in{'s' * (spec.first > 1)} missed"
        if spec.in_a_row == 1:
            return "this check-in missed"
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


def answer_words(item: Item, value: Any) -> str:
    """An answer as the care team reads it, with its unit: ``38.5 °C``, ``7/10``, ``4 days``,
    ``yes``, ``leaking``."""
    if isinstance(item, NrsItem) and isinstance(value, int):
        return f"{value}/10"
    if isinstance(item, NumberItem) and isinstance(value, int | float):
        return quantity(f"{value:.{item.decimals}f}", value, item.unit)
    if isinstance(item, IntegerItem) and item.unit and isinstance(value, int):
        return quantity(str(value), value, item.unit)
    return value_words(value)


def milestone_words(milestone: Milestone) -> str:
    return f"{describe(milestone.expect)} from POD {milestone.from_pod}"
