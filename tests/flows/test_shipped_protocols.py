"""The shipped spine protocols implement the clinical file's (v2) items, schedule and targets,
in English and Spanish, on the four pathways."""

from __future__ import annotations

from pathlib import Path

import pytest

import flows.protocols
from flows.agenda import CheckInKind, agenda, members
from flows.answers import PastCheckIn
from flows.checks.texts import texts
from flows.conversation import CheckInState, next_question, start
from flows.core_items import CORE_ITEMS
from flows.protocols import SHIPPED, shipped_file_names
from flows.schema import Protocol, Source
from flows.schema.protocol import Basis
from flows.tiers import Tier

RED_FLAGS = {
    "leg_weakness",
    "saddle_numbness",
    "bowel_control",
    "bladder",
    "chest_breath",
    "wound_bleeding",
    "fainted",
    "near_faint",
    "calf",
}
CONCERN_SCREEN = {
    "saddle_numbness",
    "bowel_control",
    "bladder",
    "leg_weakness",
    "chest_breath",
    "fainted",
    "near_faint",
    "calf",
    "wound_bleeding",
    "wound_fluid",
    "wound_redness",
    "headache_upright",
    "temperature",
    "sleepy",
    "confusion",
    "fell",
    "pain_back",
    "pain_leg",
}
WOUND_WINDOW = {"wound_fluid", "wound_redness", "temperature"}
THROUGH_POD_14 = {"dizzy", "confusion", "fell", "fluids_down", "sleepy", "opioid_use"}
WEEKLY_WOUND_CHECKS = (49, 56, 63, 70, 77, 84)
FUSION_DAYS = (1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30, 42, 60, 90, *WEEKLY_WOUND_CHECKS)
CHECK_INS = {
    "spine-miss-lumbar": (1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30),
    "spine-open-lumbar": (1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30, 42),
    "spine-miss-fusion": tuple(sorted(FUSION_DAYS)),
    "spine-open-fusion": tuple(sorted(FUSION_DAYS)),
}


def asked_on(protocol: Protocol, item: str) -> list[int]:
    return [
        pod
        for pod in protocol.schedule.check_ins
        if item in agenda(protocol, pod, CheckInKind.SCHEDULED)
    ]


def test_the_list_of_shipped_protocols_is_the_folder(spine: Protocol) -> None:
    folder = Path(flows.protocols.__file__).parent
    on_disk = sorted(path.name for path in folder.glob("*.yaml"))
    assert on_disk == sorted(shipped_file_names())
    assert spine.id in SHIPPED
    assert spine.version == "2"


def test_every_core_item_is_asked_with_its_core_id(spine: Protocol) -> None:
    core = {item.id for item in spine.items if item.source is Source.CORE}
    assert core == set(CORE_ITEMS)
    assert {item.id for item in spine.items if item.source is Source.LOCAL} == {"concern_words"}


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_text_is_in_english_and_spanish(spine: Protocol, language: str) -> None:
    for path, name, text in texts(spine):
        assert text.get(language, "").strip(), (path, name)


def test_check_ins_are_at_nine_on_the_pathway_days_from_the_day_after_discharge(
    spine: Protocol,
) -> None:
    schedule = spine.schedule
    assert schedule.check_ins == CHECK_INS[spine.id]
    assert schedule.time == "09:00"
    assert schedule.home_days_only
    assert (schedule.reminder_after_hours, schedule.missed_after_hours) == (4, 12)
    assert (schedule.quiet_hours.start, schedule.quiet_hours.end) == ("22:00", "08:00")
    assert schedule.same_day_discharge_evening is None
    evening = schedule.discharge_evening
    assert evening is not None
    assert (evening.time, evening.reminder_after_hours, evening.missed_after_hours) == (
        "18:00",
        1,
        3,
    )


def test_red_flags_are_asked_at_every_check_in_but_the_weekly_wound_checks(
    spine: Protocol,
) -> None:
    for pod in spine.schedule.check_ins:
        asked = set(agenda(spine, pod, CheckInKind.SCHEDULED))
        if pod in WEEKLY_WOUND_CHECKS:
            assert asked == WOUND_WINDOW, pod
        else:
            assert asked >= RED_FLAGS, pod


def test_the_discharge_evening_check_asks_the_red_flags_and_pain_on_any_day(
    spine: Protocol,
) -> None:
    pain = {"pain_back", "pain_leg", "pain_control"}
    for pod in (0, 1, 3, 9):
        assert set(agenda(spine, pod, CheckInKind.EVENING)) == RED_FLAGS | pain


def test_items_are_asked_in_their_windows(spine: Protocol) -> None:
    fusion = spine.id.endswith("fusion")
    every = list(spine.schedule.check_ins)
    through = {limit: [pod for pod in every if pod <= limit] for limit in (14, 30)}
    for item in THROUGH_POD_14:
        assert asked_on(spine, item) == through[14], item
    for item in WOUND_WINDOW:
        assert asked_on(spine, item) == (every if fusion else through[30]), item
    assert asked_on(spine, "headache_upright") == [p for p in through[30]]
    assert asked_on(spine, "wound_photo") == [3, 7, 10, 14]


def test_bowels_are_asked_through_pod_14_then_until_answered_two_days_or_fewer(
    spine: Protocol,
) -> None:
    full = [pod for pod in spine.schedule.check_ins if pod not in WEEKLY_WOUND_CHECKS]
    assert asked_on(spine, "bowels_days") == full
    # Agenda is by day; whether a later check-in still asks it is decided from the history.
    still = start(spine, 21, CheckInKind.SCHEDULED, (PastCheckIn(14, {"bowels_days": 3}),))
    done = start(spine, 21, CheckInKind.SCHEDULED, (PastCheckIn(14, {"bowels_days": 2}),))
    early = start(spine, 14, CheckInKind.SCHEDULED, (PastCheckIn(10, {"bowels_days": 0}),))
    assert "bowels_days" not in still.left_out
    assert done.left_out == {"bowels_days"}
    assert CheckInState.from_json(done.to_json()) == done  # kept between messages
    assert "bowels_days" not in early.left_out


def test_a_concern_runs_exactly_the_red_rule_screen(spine: Protocol) -> None:
    assert set(agenda(spine, 12, CheckInKind.CONCERN)) == CONCERN_SCREEN
    assert members(spine, ["red_flags"]) == RED_FLAGS - {"bladder", "wound_bleeding"}
    first = next_question(spine, start(spine, 12, CheckInKind.CONCERN), "en")
    assert first is not None and first.id == "red_flags"  # with its "none of these"


def test_no_check_in_is_on_other_days(spine: Protocol) -> None:
    assert agenda(spine, 8, CheckInKind.SCHEDULED) == ()


def test_fusion_patients_are_reminded_of_help_for_wound_signs_until_pod_90(
    spine: Protocol,
) -> None:
    reminded = sorted(
        pod for note in spine.education if "/help" in note.text["en"] for pod in note.pods
    )
    if spine.id.endswith("fusion"):
        assert reminded == [p for p in spine.schedule.check_ins if p > 30]
    else:
        assert reminded == []


def test_every_milestone_says_where_its_value_comes_from(spine: Protocol) -> None:
    assert all(m.basis is Basis.LOCAL_DEFAULT or m.citation for m in spine.milestones)


def test_every_amber_rule_but_non_response_and_the_concern_has_self_care_advice(
    spine: Protocol,
) -> None:
    without = {rule.id for rule in spine.rules if rule.tier is Tier.AMBER and rule.advice is None}
    assert without == {"no_response_early", "no_response_repeated", "patient_concern"}
    assert all(rule.advice.basis for rule in spine.rules if rule.advice is not None)
    assert spine.advice.safety_net is not None


def test_response_targets_follow_the_tier_table(spine: Protocol) -> None:
    targets = {tier: spine.escalation.target(tier) for tier in Tier}
    assert targets[Tier.GREEN] is None
    amber, urgent, emergency = (
        targets[Tier.AMBER],
        targets[Tier.RED_URGENT],
        targets[Tier.RED_EMERGENCY],
    )
    assert amber and (amber.acknowledge_within_minutes, amber.daytime_only) == (240, True)
    assert amber.contact_within_minutes == 24 * 60
    assert urgent and (urgent.acknowledge_within_minutes, urgent.contact_within_minutes) == (15, 60)
    assert emergency and emergency.acknowledge_within_minutes == 5


def test_the_pathways_differ_only_in_days_milestones_and_notes(
    spine: Protocol, miss: Protocol
) -> None:
    same = {"version", "languages", "wording", "items", "groups", "rules", "advice", "escalation"}
    for field in same:
        assert getattr(miss, field) == getattr(spine, field), field
