"""The schedule, rules, milestones and targets must fit together."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

from flows.agenda import CheckInKind, agenda
from flows.checks.conditions import check_condition
from flows.checks.items import duplicates
from flows.issues import Problem, unknown
from flows.schema.protocol import Protocol
from flows.schema.schedule import clock
from flows.tiers import ALERT_TIERS, Tier
from flows.yaml_source import Path


def _pods(pods: Sequence[int]) -> str:
    return ", ".join(map(str, pods))


def _check_asks(protocol: Protocol, asks: Sequence[str], path: Path) -> Iterator[Problem]:
    known = [*protocol.items_by_id, *protocol.groups_by_id]
    for index, ident in enumerate(asks):
        if ident not in known:
            yield Problem((*path, index), unknown("item or group", ident, known))


def check_schedule(protocol: Protocol) -> Iterator[Problem]:
    schedule = protocol.schedule
    check_ins = set(schedule.check_ins)
    asked: set[int] = set()
    for index, block in enumerate(schedule.questions):
        path: Path = ("schedule", "questions", index)
        stray = [pod for pod in block.pods if pod not in check_ins]
        if stray:
            yield Problem(
                (*path, "pods"),
                f"schedule: no check-in on POD {_pods(stray)} (check_ins: "
                f"{_pods(schedule.check_ins)})",
            )
        asked.update(block.pods)
        yield from _check_asks(protocol, block.ask, (*path, "ask"))
    silent = sorted(check_ins - asked)
    if silent:
        yield Problem(("schedule", "check_ins"), f"schedule: POD {_pods(silent)} asks nothing")
    yield from _check_asks(protocol, schedule.concern, ("schedule", "concern"))
    quiet = schedule.quiet_hours
    if quiet.start == quiet.end:
        yield Problem(("schedule", "quiet_hours"), "schedule: quiet hours start when they end")
    if quiet.covers(clock(schedule.time)):
        yield Problem(("schedule", "time"), "schedule: check-ins would fall in quiet hours")
    evening = schedule.same_day_discharge_evening
    if evening is not None:
        yield from _check_asks(protocol, evening.ask, ("schedule", "same_day_discharge_evening"))
        if quiet.covers(clock(evening.time)):
            yield Problem(
                ("schedule", "same_day_discharge_evening", "time"),
                "schedule: the evening check would fall in quiet hours",
            )
    yield from _check_discharge_evening(protocol)
    if schedule.reminder_after_hours >= schedule.missed_after_hours:
        yield Problem(
            ("schedule", "reminder_after_hours"),
            "schedule: the reminder must come before the check-in counts as missed",
        )


def _check_discharge_evening(protocol: Protocol) -> Iterator[Problem]:
    schedule = protocol.schedule
    evening = schedule.discharge_evening
    if evening is None:
        return
    path: Path = ("schedule", "discharge_evening")
    if schedule.same_day_discharge_evening is not None:
        yield Problem(
            ("schedule", "same_day_discharge_evening"),
            "schedule: give discharge_evening or same_day_discharge_evening, not both",
        )
    yield from _check_asks(protocol, evening.ask, (*path, "ask"))
    if evening.reminder_after_hours >= evening.missed_after_hours:
        yield Problem(
            (*path, "reminder_after_hours"),
            "schedule: the reminder must come before the evening check counts as missed",
        )
    start = clock(evening.time)
    begins = start.hour * 60 + start.minute
    ends = begins + round(evening.missed_after_hours * 60)
    quiet = schedule.quiet_hours
    quiet_from = _minutes(quiet.start) + (24 * 60 if _minutes(quiet.start) < begins else 0)
    if quiet.covers(start) or ends > quiet_from:
        yield Problem(
            (*path, "time"),
            "schedule: the evening check, its reminder and its missed time must all fall "
            f"before quiet hours ({quiet.start})",
        )


def _minutes(hhmm: str) -> int:
    moment = clock(hhmm)
    return moment.hour * 60 + moment.minute


def check_rules(protocol: Protocol) -> Iterator[Problem]:
    rule_ids = [rule.id for rule in protocol.rules]
    yield from duplicates(rule_ids, ("rules",), "rule")
    for index, rule in enumerate(protocol.rules):
        path: Path = ("rules", index)
        if rule.tier is Tier.GREEN:
            yield Problem(
                (*path, "tier"),
                "tier green means no rule fired; a rule raises "
                + ", ".join(tier.value for tier in ALERT_TIERS),
            )
        yield from check_condition(protocol, rule.when, (*path, "when"))
        for number, item_id in enumerate(rule.shows):
            if item_id not in protocol.items_by_id:
                yield Problem(
                    (*path, "shows", number), unknown("item", item_id, list(protocol.items_by_id))
                )
        for number, other in enumerate(rule.unless_fired):
            where = (*path, "unless_fired", number)
            if other == rule.id:
                yield Problem(where, "a rule cannot be silenced by itself")
            elif other not in rule_ids:
                yield Problem(where, unknown("rule", other, rule_ids))


def check_milestones(protocol: Protocol) -> Iterator[Problem]:
    yield from duplicates((m.id for m in protocol.milestones), ("milestones",), "milestone")
    for index, milestone in enumerate(protocol.milestones):
        path: Path = ("milestones", index)
        problems = list(
            check_condition(
                protocol, milestone.expect, (*path, "expect"), kinds=frozenset({"item"})
            )
        )
        yield from problems
        item = milestone.expect.item
        judged = [
            pod
            for pod in protocol.schedule.check_ins
            if pod >= milestone.from_pod and item in agenda(protocol, pod, CheckInKind.SCHEDULED)
        ]
        if not problems and not judged:
            yield Problem(
                (*path, "from_pod"),
                f"can never be judged: no check-in from POD {milestone.from_pod} on asks {item!r}",
            )


def check_education(protocol: Protocol) -> Iterator[Problem]:
    days = set(protocol.schedule.check_ins)
    if protocol.schedule.same_day_discharge_evening is not None:
        days.add(0)
    if protocol.schedule.discharge_evening is not None:
        days.update(range(max(days, default=0) + 1))  # the discharge day may be any day
    for index, note in enumerate(protocol.education):
        stray = [pod for pod in note.pods if pod not in days]
        if stray:
            yield Problem(
                ("education", index, "pods"),
                f"education: no check-in on POD {_pods(stray)} to show it with",
            )


def check_escalation(protocol: Protocol) -> Iterator[Problem]:
    escalation = protocol.escalation
    for lower, higher in pairwise(ALERT_TIERS):
        slow = escalation.target(lower)
        fast = escalation.target(higher)
        assert slow is not None and fast is not None
        if fast.acknowledge_within_minutes > slow.acknowledge_within_minutes:
            yield Problem(
                ("escalation", higher.value, "acknowledge_within_minutes"),
                f"escalation: {higher.value} must be acknowledged no later than {lower.value}",
            )
