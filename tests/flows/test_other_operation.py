"""Nothing in the engine is spine-specific: a made-up hernia fixture validates and scores.

The fixture is a test fixture, not clinical advice.
"""

from __future__ import annotations

from flows.answers import PastCheckIn
from flows.milestones import Progress
from flows.schema import Protocol
from flows.tiers import Tier
from flows.triage import score, score_missed


def rules_fired(
    protocol: Protocol, pod: int, answers: dict[str, object], history: tuple[PastCheckIn, ...] = ()
) -> list[str]:
    return [finding.rule for finding in score(protocol, pod, answers, history).findings]  # type: ignore[arg-type]


def test_a_lump_with_vomiting_is_an_emergency_and_silences_the_lump_alone(hernia: Protocol) -> None:
    assert rules_fired(hernia, 1, {"groin_swelling": True, "vomiting": True}) == [
        "lump_and_vomiting"
    ]
    assert rules_fired(hernia, 1, {"groin_swelling": True, "vomiting": False}) == ["lump_only"]


def test_not_having_passed_urine_is_urgent(hernia: Protocol) -> None:
    assert score(hernia, 1, {"passed_urine": False}).tier is Tier.RED_URGENT
    assert score(hernia, 1, {"passed_urine": True}).tier is Tier.GREEN


def test_above_means_strictly_above(hernia: Protocol) -> None:
    assert rules_fired(hernia, 1, {"groin_pain": 7}) == ["pain_high"]
    assert rules_fired(hernia, 1, {"groin_pain": 6}) == []
    assert rules_fired(hernia, 7, {"weight": 140.1}) == ["weight_high"]
    assert rules_fired(hernia, 7, {"weight": 140.0}) == []


def test_a_change_compares_with_the_previous_answer(hernia: Protocol) -> None:
    history = (PastCheckIn(1, {"groin_pain": 1}),)
    assert rules_fired(hernia, 2, {"groin_pain": 4, "mobility": "house"}, history) == ["pain_jump"]
    assert rules_fired(hernia, 2, {"groin_pain": 3, "mobility": "house"}, history) == []


def test_not_fires_only_on_an_answer_that_is_there(hernia: Protocol) -> None:
    assert rules_fired(hernia, 2, {"mobility": "bed"}) == ["still_in_bed", "slow_recovery"]
    assert rules_fired(hernia, 1, {"mobility": "bed"}) == []  # POD 1: not yet
    assert rules_fired(hernia, 2, {"groin_pain": 1}) == []  # mobility not answered


def test_two_missed_check_ins_in_a_row(hernia: Protocol) -> None:
    fired = [
        f.rule
        for f in score_missed(hernia, 7, (PastCheckIn(1, {}), PastCheckIn(2, missed=True))).findings
    ]
    assert fired == ["silent_patient"]
    assert score_missed(hernia, 2, (PastCheckIn(1, {"groin_pain": 1}),)).findings == ()


def test_milestones_and_recovery_score_of_another_pathway(hernia: Protocol) -> None:
    assessment = score(hernia, 7, {"mobility": "street", "groin_pain": 4})
    statuses = {m.id: m.status for m in assessment.milestones}
    assert statuses == {"up_and_about": Progress.MET, "pain_settling": Progress.BEHIND}
    assert assessment.recovery_score == 50


def test_a_protocol_without_milestones_has_no_recovery_score(hernia: Protocol) -> None:
    plain = hernia.model_copy(
        update={
            "milestones": (),
            "rules": tuple(r for r in hernia.rules if r.id != "slow_recovery"),
        }
    )
    assessment = score(plain, 7, {"mobility": "bed", "groin_pain": 9})
    assert assessment.milestones == ()
    assert assessment.recovery_score is None
    assert [f.rule for f in assessment.findings] == ["pain_high", "still_in_bed"]
