"""Conditions compiled once, when a protocol is loaded, into small closures.

Scoring then calls functions instead of walking dicts: this is what keeps a check-in's score
in the tens of microseconds. Logic is three-valued: a check returns True, False, or None when
an answer it needs is missing ("cannot tell"). A rule fires only on True, so a missing answer
never fires a rule (not even under ``not``) and never raises.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.answers import Answers, AnswerValue, PastCheckIn
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
    subconditions,
)
from flows.schema.items import ChoiceItem, Item, OrdinalItem, YesNoItem
from flows.schema.protocol import Protocol
from flows.tiers import Tier

Verdict = bool | None
Reader = Callable[[Answers], Any]

_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq,
    "not_equals": operator.ne,
    "in": lambda value, allowed: value in allowed,
    "not_in": lambda value, allowed: value not in allowed,
    "at_least": operator.ge,
    "at_most": operator.le,
    "above": operator.gt,
    "below": operator.lt,
}


class Facts:
    """What one check-in is judged on: its answers and POD, and what came before.

    ``judged`` is, per answered check-in (history, then this one), the milestones judged
    there (id → met); scoring fills it in when the protocol has milestones.

    ``kind`` is the kind of check-in (``scheduled``, ``evening``, ``concern``, ``extra``);
    ``holding`` the rules whose condition holds, which scoring fills in before it decides the
    rules that count domains.
    """

    __slots__ = ("answers", "history", "holding", "judged", "kind", "missed_run", "pod")

    def __init__(
        self,
        answers: Answers,
        pod: int,
        history: Sequence[PastCheckIn] = (),
        *,
        missed: bool = False,
        judged: Sequence[Mapping[str, bool]] = (),
        kind: str = "scheduled",
    ) -> None:
        self.answers = answers
        self.pod = pod
        self.history = history
        self.judged = judged
        self.kind = kind
        self.holding: frozenset[str] = frozenset()
        # The unbroken run of missed check-ins ending with this one; empty when the patient
        # answered, as non-response is over once they do.
        run = []
        if missed:
            run.append(pod)
            for past in reversed(history):
                if not past.missed:
                    break
                run.append(past.pod)
        self.missed_run = tuple(run)

    def previous(self, read: Reader, within_days: int | None = None) -> Any:
        """An item's answer at the latest earlier check-in that has one (no older than
        ``within_days`` days when given), else None."""
        for past in reversed(self.history):
            if within_days is not None and self.pod - past.pod > within_days:
                return None
            found = None if past.missed else read(past.answers)
            if found is not None:
                return found
        return None

    def lowest(self, read: Reader, days: int) -> Any:
        """An item's lowest answer at the check-ins from POD − ``days`` up to the day before
        this one, both included; None when none of them answered it."""
        found = [
            value
            for past in self.history
            if self.pod - days <= past.pod < self.pod
            and not past.missed
            and (value := read(past.answers)) is not None
        ]
        return min(found, default=None)

    @property
    def daily_before(self) -> int:
        """How many of the schedule's daily check-ins came before this one."""
        return sum(past.kind == "scheduled" for past in self.history)


Check = Callable[[Facts], Verdict]
AnswerTest = Callable[[Answers], Verdict]


def reader(item: Item) -> Reader:
    """A function giving the item's answer in comparable form, or None when it is missing
    or is not a valid answer (ordinal options read as their rank)."""
    key = item.id
    if isinstance(item, OrdinalItem):
        ranks: dict[Any, int | None] = {option.id: option.value for option in item.options}
        return lambda answers: ranks.get(answers.get(key))
    if isinstance(item, ChoiceItem):
        options = frozenset(option.id for option in item.options)
        return lambda answers: value if (value := answers.get(key)) in options else None
    if isinstance(item, YesNoItem):
        return lambda answers: value if type(value := answers.get(key)) is bool else None
    return lambda answers: value if type(value := answers.get(key)) in (int, float) else None


def _operand(item: Item | None, comparison: Comparison) -> Any:
    """The compared value(s), with ordinal option ids turned into ranks."""
    ranks: dict[AnswerValue, Any] = {}
    if isinstance(item, OrdinalItem):
        ranks = {option.id: option.value for option in item.options}
    values = [ranks.get(value, value) for value in comparison.operands]
    return frozenset(values) if comparison.operator in ("in", "not_in") else values[0]


def answer_test(item: Item, comparison: Comparison) -> AnswerTest:
    read, test = reader(item), _TESTS[comparison.operator]
    operand = _operand(item, comparison)

    def check(answers: Answers) -> Verdict:
        value = read(answers)
        return None if value is None else test(value, operand)

    return check


def compile_condition(protocol: Protocol, condition: Condition) -> Check:
    """A closure deciding ``condition`` for a check-in; the protocol must be checked first."""
    if isinstance(condition, ItemIs):
        on_answers = answer_test(protocol.item(condition.item), condition)
        return lambda facts: on_answers(facts.answers)
    if isinstance(condition, ChangeIs):
        return _change(protocol.item(condition.change), condition)
    if isinstance(condition, RiseIs):
        return _rise(protocol.item(condition.rise), condition)
    if isinstance(condition, PreviousIs):
        return _previous(protocol.item(condition.previous), condition)
    if isinstance(condition, CheckInIs):
        kind = condition.check_in
        return lambda facts: facts.kind == kind
    if isinstance(condition, Domains):
        return _domains(condition)
    if isinstance(condition, PodIs):
        test, operand = _TESTS[condition.pod.operator], _operand(None, condition.pod)
        return lambda facts: test(facts.pod, operand)
    if isinstance(condition, Missed):
        return _missed(condition)
    if isinstance(condition, MilestonesBehind):
        return _behind(condition.milestones_behind.check_ins)
    parts = tuple(compile_condition(protocol, inner) for inner in subconditions(condition))
    if isinstance(condition, AllOf):
        return lambda facts: _all(parts, facts)
    if isinstance(condition, AnyOf):
        return lambda facts: _any(parts, facts)
    assert isinstance(condition, NotThis)
    (inner,) = parts
    return lambda facts: None if (verdict := inner(facts)) is None else not verdict


def _all(parts: tuple[Check, ...], facts: Facts) -> Verdict:
    verdict: Verdict = True
    for part in parts:
        found = part(facts)
        if found is False:
            return False
        if found is None:
            verdict = None
    return verdict


def _any(parts: tuple[Check, ...], facts: Facts) -> Verdict:
    verdict: Verdict = False
    for part in parts:
        found = part(facts)
        if found:
            return True
        if found is None:
            verdict = None
    return verdict


def _change(item: Item, comparison: ChangeIs) -> Check:
    read, test, operand = reader(item), _TESTS[comparison.operator], _operand(None, comparison)

    def check(facts: Facts) -> Verdict:
        now = read(facts.answers)
        before = None if now is None else facts.previous(read)
        return None if before is None else test(now - before, operand)

    return check


def _rise(item: Item, comparison: RiseIs) -> Check:
    read, test, operand = reader(item), _TESTS[comparison.operator], _operand(None, comparison)
    days = comparison.days

    def check(facts: Facts) -> Verdict:
        now = read(facts.answers)
        lowest = None if now is None else facts.lowest(read, days)
        return None if lowest is None else test(now - lowest, operand)

    return check


def _previous(item: Item, comparison: PreviousIs) -> Check:
    read, test = reader(item), _TESTS[comparison.operator]
    operand, within = _operand(item, comparison), comparison.within_days

    def check(facts: Facts) -> Verdict:
        before = facts.previous(read, within)
        return None if before is None else test(before, operand)

    return check


def _domains(condition: Domains) -> Check:
    spec = condition.domains
    domains = tuple(frozenset(rules) for rules in spec.of.values())
    needed = spec.at_least
    return lambda facts: sum(not rules.isdisjoint(facts.holding) for rules in domains) >= needed


def rules_counted(condition: Condition) -> frozenset[str]:
    """The rules whose conditions a condition counts (``domains``), anywhere inside it."""
    found: set[str] = set()
    if isinstance(condition, Domains):
        for rules in condition.domains.of.values():
            found.update(rules)
    for inner in subconditions(condition):
        found |= rules_counted(inner)
    return frozenset(found)


def _missed(condition: Missed) -> Check:
    spec = condition.missed
    if spec.pod_in is not None:
        pods = frozenset(spec.pod_in)
        return lambda facts: any(pod in pods for pod in facts.missed_run)
    if spec.first is not None:
        first = spec.first
        return lambda facts: bool(facts.missed_run) and facts.daily_before < first
    in_a_row = spec.in_a_row
    assert in_a_row is not None  # the file format requires one of the two
    return lambda facts: len(facts.missed_run) >= in_a_row


def _behind(check_ins: int) -> Check:
    def check(facts: Facts) -> Verdict:
        if not facts.judged or not facts.judged[-1]:
            return None  # this check-in judged no milestone: nothing new to say
        recent = [judged for judged in facts.judged if judged][-check_ins:]
        return len(recent) == check_ins and all(not all(j.values()) for j in recent)

    return check


def items_named(condition: Condition) -> Iterator[str]:
    """The item ids a condition looks at, in order of appearance."""
    if isinstance(condition, ItemIs):
        yield condition.item
    elif isinstance(condition, ChangeIs):
        yield condition.change
    elif isinstance(condition, RiseIs):
        yield condition.rise
    elif isinstance(condition, PreviousIs):
        yield condition.previous
    for inner in subconditions(condition):
        yield from items_named(inner)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    tier: Tier
    check: Check
    silenced_by: tuple[int, ...]  # positions of the rules in ``unless_fired``
    items: tuple[str, ...]
    reason: Mapping[str, str]
    counts_rules: bool  # decided after the others: it counts their conditions (domains)
    alone: bool  # reported only when no other rule is


@dataclass(frozen=True, slots=True)
class CompiledMilestone:
    id: str
    item: str
    from_pod: int
    test: AnswerTest


@dataclass(frozen=True, slots=True)
class CompiledProtocol:
    rules: tuple[CompiledRule, ...]
    milestones: tuple[CompiledMilestone, ...]
    ask_if: Mapping[str, Check]


def compile_protocol(protocol: Protocol) -> CompiledProtocol:
    """Rules, milestones and question conditions as closures, built once per protocol."""
    return protocol.derived(_compile)


def _compile(protocol: Protocol) -> CompiledProtocol:
    position = {rule.id: index for index, rule in enumerate(protocol.rules)}
    rules = tuple(
        CompiledRule(
            id=rule.id,
            tier=rule.tier,
            check=compile_condition(protocol, rule.when),
            silenced_by=tuple(position[other] for other in rule.unless_fired),
            items=tuple(dict.fromkeys((*items_named(rule.when), *rule.shows))),
            reason=rule.reason,
            counts_rules=bool(rules_counted(rule.when)),
            alone=rule.alone,
        )
        for rule in protocol.rules
    )
    milestones = tuple(
        CompiledMilestone(
            m.id, m.expect.item, m.from_pod, answer_test(protocol.item(m.expect.item), m.expect)
        )
        for m in protocol.milestones
    )
    ask_if = {
        item.id: compile_condition(protocol, item.ask_if)
        for item in protocol.items
        if item.ask_if is not None
    }
    return CompiledProtocol(rules, milestones, ask_if)
