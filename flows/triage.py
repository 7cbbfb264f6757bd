"""Scoring a check-in: which rules fired, the tier, milestones and the recovery score.

Pure and deterministic: the same protocol, POD, answers and history always give the same
assessment. Missing answers never fire a rule and never raise; so scoring the answers given
so far, after each reply, shows a red flag the moment it is answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows.answers import Answers, PastCheckIn
from flows.compiled import CompiledRule, Facts, compile_protocol
from flows.describe import answer_words
from flows.findings import Finding
from flows.milestones import MilestoneStatus, judge, recovery_score, statuses
from flows.schema.protocol import Protocol
from flows.tiers import TIERS_BY_RANK, Tier


@dataclass(frozen=True, slots=True)
class Assessment:
    tier: Tier  # the highest tier of any finding; green when none
    findings: tuple[Finding, ...]  # most urgent first, then in the protocol's order
    milestones: tuple[MilestoneStatus, ...]
    recovery_score: int | None  # 0–100; None while no milestone is due


def score(
    protocol: Protocol,
    pod: int,
    answers: Answers,
    history: Sequence[PastCheckIn] = (),
    kind: str = "scheduled",
) -> Assessment:
    """Assess a check-in of ``kind`` on ``pod`` with ``answers`` (all or some), given the
    earlier check-ins in ``history``, oldest first."""
    return _assess(protocol, pod, answers, history, missed=False, kind=kind)


def score_missed(
    protocol: Protocol, pod: int, history: Sequence[PastCheckIn] = (), kind: str = "scheduled"
) -> Assessment:
    """Assess the check-in of ``kind`` on ``pod`` that just went unanswered: only
    non-response rules can fire (a run of missed check-ins counts this one and the missed
    ones just before it)."""
    return _assess(protocol, pod, {}, history, missed=True, kind=kind)


def _assess(
    protocol: Protocol,
    pod: int,
    answers: Answers,
    history: Sequence[PastCheckIn],
    *,
    missed: bool,
    kind: str = "scheduled",
) -> Assessment:
    compiled = compile_protocol(protocol)
    milestones = compiled.milestones
    judgements = []
    if milestones:
        judgements = [
            judge(milestones, past.pod, past.answers) for past in history if not past.missed
        ]
        judgements.append(judge(milestones, pod, answers))
    facts = Facts(answers, pod, history, missed=missed, judged=judgements, kind=kind)
    rules = compiled.rules
    # Rules that count other rules' conditions (domains) are decided once those are known.
    holds = [not rule.counts_rules and rule.check(facts) is True for rule in rules]
    facts.holding = frozenset(rule.id for rule, held in zip(rules, holds, strict=True) if held)
    holds = [
        held or (rule.counts_rules and rule.check(facts) is True)
        for rule, held in zip(rules, holds, strict=True)
    ]
    reported = [
        rule
        for rule, fired in zip(rules, holds, strict=True)
        if fired and not any(holds[other] for other in rule.silenced_by)
    ]
    if any(not rule.alone for rule in reported):
        reported = [rule for rule in reported if not rule.alone]
    # By tier, then in the protocol's order (the sort is stable).
    findings = sorted(
        (_finding(protocol, rule, answers, pod) for rule in reported),
        key=lambda f: -f.tier.rank,
    )
    top = max((finding.tier.rank for finding in findings), default=0)
    return Assessment(
        tier=TIERS_BY_RANK[top],
        findings=tuple(findings),
        milestones=statuses(milestones, pod, judgements[-1] if judgements else {}),
        recovery_score=recovery_score(milestones, pod, judgements),
    )


def _finding(protocol: Protocol, rule: CompiledRule, answers: Answers, pod: int) -> Finding:
    looked_at = {item: answers[item] for item in rule.items if item in answers}
    values = {item: answer_words(protocol.item(item), value) for item, value in looked_at.items()}
    return Finding(rule.id, rule.tier, tuple(looked_at), rule.reason, looked_at, pod, values=values)
