"""Recovery milestones of the four pathways, and the recovery score (clinical file's tables)."""

from __future__ import annotations

import pytest

from flows.answers import PastCheckIn
from flows.compiled import compile_protocol
from flows.milestones import Progress, behind, expected_levels, judge
from flows.schema import Protocol
from flows.schema.protocol import Milestone
from flows.triage import score
from tests.flows.conftest import PROTOCOLS_DIR, load

# milestone id: (item, comparison, threshold, a meeting answer, a behind answer,
#                PODs on MIS decompression, open decompression, MIS fusion, open fusion)
TABLE = {
    "walking_in_room": ("walking", "at_least", "in_room", "in_room", "none", 1, 1, 1, 1),
    "walking_indoors": ("walking", "at_least", "indoors", "indoors", "in_room", 2, 3, 2, 3),
    "walking_outside_short": (
        "walking",
        "at_least",
        "outside_short",
        "outside_short",
        "indoors",
        7,
        10,
        10,
        14,
    ),
    "walking_outside_long": (
        "walking",
        "at_least",
        "outside_long",
        "outside_long",
        "outside_short",
        14,
        21,
        21,
        30,
    ),
    "back_pain_5": ("pain_back", "at_most", 5, 5, 6, 3, 5, 5, 7),
    "back_pain_4": ("pain_back", "at_most", 4, 4, 5, 7, 10, 10, 14),
    "back_pain_3": ("pain_back", "at_most", 3, 3, 4, 14, 21, 21, 30),
    "back_pain_2": ("pain_back", "at_most", 2, 2, 3, 30, 42, 42, 60),
    "bowels_3_days": ("bowels_days", "at_most", 3, 3, 4, 4, 5, 5, 5),
}
PATHWAY_COLUMN = {
    "spine-miss-lumbar": 5,
    "spine-open-lumbar": 6,
    "spine-miss-fusion": 7,
    "spine-open-fusion": 8,
}
CASES = [(pathway, milestone) for pathway in PATHWAY_COLUMN for milestone in TABLE]


def due_pod(protocol: Protocol, milestone_id: str) -> int:
    return int(TABLE[milestone_id][PATHWAY_COLUMN[protocol.id]])  # type: ignore[call-overload]


def status(protocol: Protocol, milestone_id: str, pod: int, answers: dict[str, object]) -> Progress:
    (found,) = [m for m in score(protocol, pod, answers).milestones if m.id == milestone_id]
    return found.status


def test_each_pathway_has_exactly_the_milestones_of_the_clinical_table(spine: Protocol) -> None:
    got = {
        m.id: (m.expect.item, m.expect.operator, m.expect.operand, m.from_pod)
        for m in spine.milestones
    }
    want = {key: (*row[:3], due_pod(spine, key)) for key, row in TABLE.items()}
    assert got == want


@pytest.mark.parametrize(("pathway", "milestone_id"), CASES)
def test_a_milestone_is_met_behind_or_not_judged(pathway: str, milestone_id: str) -> None:
    protocol = load(PROTOCOLS_DIR / f"{pathway}.yaml")
    item, _, _, good, poor, *_ = TABLE[milestone_id]
    pod = due_pod(protocol, milestone_id)
    assert status(protocol, milestone_id, pod, {item: good}) is Progress.MET
    assert status(protocol, milestone_id, pod, {item: poor}) is Progress.BEHIND
    assert status(protocol, milestone_id, pod, {}) is Progress.NOT_JUDGED
    # The day before it is due, nothing is judged, whatever the answer.
    assert status(protocol, milestone_id, pod - 1, {item: poor}) is Progress.NOT_JUDGED


def test_mis_patients_are_expected_indoors_a_day_earlier(
    miss: Protocol, open_lumbar: Protocol
) -> None:
    answers = {"walking": "in_room"}
    assert status(miss, "walking_indoors", 2, answers) is Progress.BEHIND
    assert status(open_lumbar, "walking_indoors", 2, answers) is Progress.NOT_JUDGED


def test_the_recovery_score_counts_each_due_milestone_at_its_latest_judged_check_in(
    miss: Protocol,
) -> None:
    history = [
        PastCheckIn(1, {"walking": "in_room", "pain_back": 6}),
        PastCheckIn(2, {"walking": "in_room", "pain_back": 6}),
        PastCheckIn(3, {"walking": "indoors", "pain_back": 6}),
    ]
    # POD 4: due are walking_in_room, walking_indoors, back_pain_5, bowels_3_days.
    # walking met at POD 3 and 4; back pain behind today; bowels never answered, so not
    # judged (v2): 2 of 3.
    assessment = score(miss, 4, {"walking": "indoors", "pain_back": 6}, history)
    assert assessment.recovery_score == 67
    # Back pain met today: 3 of 3.
    assert score(miss, 4, {"pain_back": 5}, history).recovery_score == 100
    # Bowels answered and behind: 3 of 4.
    assert score(miss, 4, {"pain_back": 5, "bowels_days": 4}, history).recovery_score == 75


def test_with_no_milestone_judged_there_is_no_score_not_zero(miss: Protocol) -> None:
    assessment = score(miss, 14, {"saddle_numbness": False})
    assert any(m.due for m in assessment.milestones)
    assert assessment.recovery_score is None


def test_the_recovery_score_uses_the_latest_answer_not_the_best(miss: Protocol) -> None:
    history = [PastCheckIn(1, {"walking": "in_room"})]
    assert score(miss, 1, {"walking": "in_room"}).recovery_score == 100
    assert score(miss, 2, {"walking": "none"}, history).recovery_score == 0


def test_the_recovery_score_rounds_half_up(miss: Protocol) -> None:
    # POD 14 (MISS): 8 milestones due, the 4 of walking judged; 1 met, 3 behind of those
    # and back pain 4 met, back_pain_5 and 3 met, bowels behind: 4 of 8 judged…
    answers = {"walking": "in_room", "pain_back": 3, "bowels_days": 4}
    assert score(miss, 14, answers).recovery_score == 50
    # …and 1 of 8 judged = 12.5 → 13.
    answers = {"walking": "in_room", "pain_back": 9, "bowels_days": 4}
    assert score(miss, 14, answers).recovery_score == 13


def test_there_is_no_recovery_score_before_any_milestone_is_due(miss: Protocol) -> None:
    assessment = score(miss, 0, {"pain_back": 3})
    assert assessment.recovery_score is None
    assert not any(m.due for m in assessment.milestones)


def test_a_missed_check_in_judges_nothing(miss: Protocol) -> None:
    history = [PastCheckIn(1, {"walking": "in_room"}), PastCheckIn(2, missed=True)]
    assessment = score(miss, 3, {}, history)
    assert {m.status for m in assessment.milestones} == {Progress.NOT_JUDGED}
    assert assessment.recovery_score == 100  # in_room met at POD 1; the others never judged


def test_behind_is_the_milestones_not_met_at_their_latest_judged_check_in(miss: Protocol) -> None:
    milestones = compile_protocol(miss).milestones
    judgements = [
        judge(milestones, 1, {"walking": "none"}),  # walking_in_room behind…
        judge(milestones, 2, {"walking": "indoors"}),  # …then met; indoors met
        judge(milestones, 3, {"pain_back": 6}),  # back_pain_5 behind; walking not asked
    ]
    assert behind(milestones, judgements) == ("back_pain_5",)


def test_a_milestone_never_judged_is_not_behind(miss: Protocol) -> None:
    milestones = compile_protocol(miss).milestones
    assert behind(milestones, []) == ()
    assert behind(milestones, [judge(milestones, 4, {"walking": "in_room"})]) == (
        "walking_indoors",
    )


def test_milestones_chart_as_a_rising_walking_floor_and_a_falling_back_pain_ceiling(
    spine: Protocol,
) -> None:
    walking = {"in_room": 1, "indoors": 2, "outside_short": 3, "outside_long": 4}
    floor = [(e.pod, e.level, e.milestone) for e in expected_levels(spine, "walking", "at_least")]
    ceiling = [
        (e.pod, e.level, e.milestone) for e in expected_levels(spine, "pain_back", "at_most")
    ]
    walking_milestones = [key for key in TABLE if key.startswith("walking_")]
    assert floor == [
        (due_pod(spine, key), walking[str(TABLE[key][2])], key) for key in walking_milestones
    ]
    assert ceiling == [
        (due_pod(spine, key), TABLE[key][2], key) for key in TABLE if key.startswith("back_pain_")
    ]
    assert expected_levels(spine, "pain_leg", "at_most") == ()


def test_a_looser_milestone_never_lowers_the_expected_level(miss: Protocol) -> None:
    looser = Milestone.model_validate(
        {
            "id": "back_pain_6",
            "source": "local",
            "from_pod": 10,
            "expect": {"item": "pain_back", "at_most": 6},
        }
    )
    protocol = miss.model_copy(update={"milestones": (*miss.milestones, looser)})
    ceiling = [(e.pod, e.level) for e in expected_levels(protocol, "pain_back", "at_most")]
    assert ceiling == [(3, 5), (7, 4), (14, 3), (30, 2)]


def _with(protocol: Protocol, expect: dict[str, object], from_pod: int) -> Protocol:
    extra = Milestone.model_validate(
        {"id": "local_goal", "source": "local", "from_pod": from_pod, "expect": expect}
    )
    return protocol.model_copy(update={"milestones": (*protocol.milestones, extra)})


def test_a_stricter_milestone_on_the_same_pod_replaces_the_looser_one(miss: Protocol) -> None:
    protocol = _with(miss, {"item": "pain_back", "at_most": 3}, from_pod=7)
    ceiling = [
        (e.pod, e.level, e.milestone) for e in expected_levels(protocol, "pain_back", "at_most")
    ]
    assert ceiling == [(3, 5, "back_pain_5"), (7, 3, "local_goal"), (30, 2, "back_pain_2")]
    protocol = _with(miss, {"item": "walking", "at_least": "outside_short"}, from_pod=2)
    floor = [
        (e.pod, e.level, e.milestone) for e in expected_levels(protocol, "walking", "at_least")
    ]
    assert floor == [
        (1, 1, "walking_in_room"),
        (2, 3, "local_goal"),
        (14, 4, "walking_outside_long"),
    ]


@pytest.mark.parametrize(
    "expect", [{"item": "bladder", "at_most": "normal"}, {"item": "temperature", "at_most": True}]
)
def test_a_milestone_without_a_level_to_draw_is_left_out(
    miss: Protocol, expect: dict[str, object]
) -> None:
    assert expected_levels(_with(miss, expect, from_pod=7), str(expect["item"]), "at_most") == ()
