"""Recovery milestones: met, behind or not judged at a check-in, and the recovery score.

A milestone is judged at a check-in on or after its POD that answered its item: *met* when
the answer satisfies it, *behind* when not; unanswered, it is not judged there. The recovery
score is the share of the milestones due so far and judged at least once that were met at
their latest judged check-in, 0–100, rounded half up; None ("—") while none is judged: an
unanswered milestone counts neither as met nor as behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from flows.answers import Answers
from flows.compiled import CompiledMilestone
from flows.schema.items import OrdinalItem
from flows.schema.protocol import Milestone, Protocol

Judged = Mapping[str, bool]  # milestone id → met, for the milestones judged at a check-in


class Progress(StrEnum):
    MET = "met"
    BEHIND = "behind"
    NOT_JUDGED = "not_judged"  # not due yet, or its question was not answered


@dataclass(frozen=True, slots=True)
class MilestoneStatus:
    id: str
    item: str
    pod: int  # the POD from which it is due
    status: Progress  # at this check-in
    due: bool


def judge(milestones: Sequence[CompiledMilestone], pod: int, answers: Answers) -> Judged:
    judged = {}
    for milestone in milestones:
        if pod >= milestone.from_pod:
            met = milestone.test(answers)
            if met is not None:
                judged[milestone.id] = met
    return judged


def statuses(
    milestones: Sequence[CompiledMilestone], pod: int, judged: Judged
) -> tuple[MilestoneStatus, ...]:
    return tuple(
        MilestoneStatus(m.id, m.item, m.from_pod, _progress(judged.get(m.id)), pod >= m.from_pod)
        for m in milestones
    )


def _progress(met: bool | None) -> Progress:
    if met is None:
        return Progress.NOT_JUDGED
    return Progress.MET if met else Progress.BEHIND


def behind(
    milestones: Sequence[CompiledMilestone], judgements: Sequence[Judged]
) -> tuple[str, ...]:
    """The milestones behind at their latest judged check-in (``judgements`` oldest first), in
    the protocol's order. A milestone never judged is not counted: nobody knows yet."""
    latest: dict[str, bool] = {}
    for judged in judgements:
        latest.update(judged)
    return tuple(m.id for m in milestones if latest.get(m.id) is False)


def recovery_score(
    milestones: Sequence[CompiledMilestone], pod: int, judgements: Sequence[Judged]
) -> int | None:
    """``judgements`` are the check-ins' judgements up to this one, oldest first."""
    latest: dict[str, bool] = {}
    for judged in judgements:
        latest.update(judged)
    verdicts = [latest[m.id] for m in milestones if m.from_pod <= pod and m.id in latest]
    if not verdicts:
        return None
    met = sum(verdicts)
    return (200 * met + len(verdicts)) // (2 * len(verdicts))


Bound = Literal["at_least", "at_most"]


@dataclass(frozen=True, slots=True)
class ExpectedLevel:
    """From ``pod`` on, the item is expected at ``level`` or better (``bound``), as set by
    ``milestone``. Ordinal items are expected at a rank (``walking``: ``indoors`` is 2)."""

    pod: int
    level: float
    bound: Bound
    milestone: str


def expected_levels(protocol: Protocol, item: str, bound: Bound) -> tuple[ExpectedLevel, ...]:
    """An item's milestones as a rising floor (``at_least``) or a falling ceiling
    (``at_most``) by POD: at each POD the strictest milestone due by then counts, as every
    due milestone must hold. Milestones of another kind (``equals``, ``in``…) are left out."""
    found = sorted(
        (m.from_pod, level, m.id)
        for m in protocol.milestones
        if m.expect.item == item
        and m.expect.operator == bound
        and (level := _level(protocol, m)) is not None
    )
    steps: list[ExpectedLevel] = []
    for pod, level, milestone_id in found:
        if steps and _as_strict(steps[-1].level, level, bound):
            continue  # an earlier milestone already asks as much
        if steps and steps[-1].pod == pod:
            steps.pop()
        steps.append(ExpectedLevel(pod, level, bound, milestone_id))
    return tuple(steps)


def _as_strict(earlier: float, later: float, bound: Bound) -> bool:
    return earlier >= later if bound == "at_least" else earlier <= later


def _level(protocol: Protocol, milestone: Milestone) -> float | None:
    item, operand = protocol.item(milestone.expect.item), milestone.expect.operand
    if isinstance(item, OrdinalItem):
        ranks = {option.id: option.value for option in item.options}
        rank = ranks.get(operand)
        return None if rank is None else float(rank)
    if isinstance(operand, bool) or not isinstance(operand, int | float):
        return None
    return float(operand)
