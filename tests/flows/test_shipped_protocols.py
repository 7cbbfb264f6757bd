"""The shipped spine protocols implement the clinical file's items, schedule and targets."""

from __future__ import annotations

from pathlib import Path

import flows.protocols
from flows.agenda import CheckInKind, agenda, members
from flows.core_items import CORE_ITEMS
from flows.protocols import SHIPPED, shipped_file_names
from flows.schema import Protocol, Source
from flows.tiers import Tier

RED_FLAGS = {"leg_weakness", "saddle_numbness", "bladder", "chest_breath", "wound_bleeding"}
WOUND = {"wound_fluid", "wound_redness", "wound_photo"}
CHECK_INS = {
    "spine-miss-lumbar": (1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30),
    "spine-open-lumbar": (1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30, 42),
}


def test_the_list_of_shipped_protocols_is_the_folder(spine: Protocol) -> None:
    folder = Path(flows.protocols.__file__).parent
    on_disk = sorted(path.name for path in folder.glob("*.yaml"))
    assert on_disk == sorted(shipped_file_names())
    assert spine.id in SHIPPED


def test_every_core_item_is_asked_with_its_core_id(spine: Protocol) -> None:
    assert set(spine.items_by_id) == set(CORE_ITEMS)
    assert {item.source for item in spine.items} == {Source.CORE}


def test_check_ins_are_at_nine_on_the_pathway_days(spine: Protocol) -> None:
    schedule = spine.schedule
    assert schedule.check_ins == CHECK_INS[spine.id]
    assert schedule.time == "09:00"
    assert (schedule.reminder_after_hours, schedule.missed_after_hours) == (4, 12)
    assert (schedule.quiet_hours.start, schedule.quiet_hours.end) == ("22:00", "08:00")
    assert schedule.same_day_discharge_evening is not None
    assert schedule.same_day_discharge_evening.time == "18:00"


def test_red_flags_are_asked_at_every_check_in(spine: Protocol) -> None:
    for pod in spine.schedule.check_ins:
        assert set(agenda(spine, pod, CheckInKind.SCHEDULED)) >= RED_FLAGS, pod
    assert set(agenda(spine, 0, CheckInKind.EVENING)) >= RED_FLAGS


def test_wound_items_are_asked_around_pod_3_7_10_and_14(spine: Protocol) -> None:
    for pod in spine.schedule.check_ins:
        asked = set(agenda(spine, pod, CheckInKind.SCHEDULED)) >= WOUND
        assert asked is (pod in (3, 7, 10, 14)), pod


def test_bowels_are_asked_through_pod_7(spine: Protocol) -> None:
    days = [
        p
        for p in spine.schedule.check_ins
        if "bowels_days" in agenda(spine, p, CheckInKind.SCHEDULED)
    ]
    assert days == [1, 2, 3, 4, 5, 6, 7]


def test_a_concern_runs_the_red_flag_screen(spine: Protocol) -> None:
    assert set(agenda(spine, 12, CheckInKind.CONCERN)) == RED_FLAGS
    assert members(spine, ["red_flags"]) == {"leg_weakness", "saddle_numbness", "chest_breath"}


def test_the_evening_check_is_for_pod_0_only_and_no_check_in_is_on_other_days(
    spine: Protocol,
) -> None:
    assert agenda(spine, 1, CheckInKind.EVENING) == ()
    assert agenda(spine, 8, CheckInKind.SCHEDULED) == ()


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


def test_the_two_pathways_differ_only_in_days_milestones_and_notes(
    miss: Protocol, open_lumbar: Protocol
) -> None:
    same = {"version", "languages", "wording", "items", "groups", "rules", "advice", "escalation"}
    for field in same:
        assert getattr(miss, field) == getattr(open_lumbar, field), field
    assert miss.milestones != open_lumbar.milestones
