"""Planning a patient's check-ins: home days only, the discharge-day evening check, local
wall-clock times, daylight saving, quiet hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.agenda import CheckInKind
from flows.planner import PlannedCheckIn, plan_check_ins
from flows.schema import Protocol

# Quiet hours moved out of the night, to plan check-ins at times the clocks skip or repeat.
NIGHT_IS_NOT_QUIET = (
    ('quiet_hours: {start: "22:00", end: "08:00"}', 'quiet_hours: {start: "23:00", end: "01:00"}'),
    ('time: "18:00"', 'time: "19:00"'),
)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "surgery", "expected_utc_hours"),
    [
        # Madrid: clocks go forward on Sunday 30 March 2025; 09:00 is 08:00 UTC, then 07:00.
        ("Europe/Madrid", date(2025, 3, 28), [(3, 29, 8), (3, 30, 7), (3, 31, 7)]),
        # New York: clocks go back on Sunday 2 November 2025; 09:00 is 13:00 UTC, then 14:00.
        ("America/New_York", date(2025, 10, 31), [(11, 1, 13), (11, 2, 14), (11, 3, 14)]),
        # Kolkata has no daylight saving: 09:00 is always 03:30 UTC.
        ("Asia/Kolkata", date(2025, 3, 28), [(3, 29, 3), (3, 30, 3), (3, 31, 3)]),
    ],
)
def test_check_ins_stay_at_nine_local_across_daylight_saving(
    miss: Protocol, zone: str, surgery: date, expected_utc_hours: list[tuple[int, int, int]]
) -> None:
    plan = [
        c for c in plan_check_ins(miss, surgery, surgery, zone) if c.kind is CheckInKind.SCHEDULED
    ]
    first_three = [(c.due_at.month, c.due_at.day, c.due_at.hour) for c in plan[:3]]
    assert first_three == expected_utc_hours
    local = [c.due_at.astimezone(ZoneInfo(zone)) for c in plan]
    assert {(t.hour, t.minute) for t in local} == {(9, 0)}
    assert [t.date() - surgery for t in local] == [
        timedelta(days=p) for p in miss.schedule.check_ins
    ]
    assert [c.pod for c in plan] == list(miss.schedule.check_ins)  # none skipped, none doubled


def test_reminders_come_four_hours_later_and_missed_twelve(miss: Protocol) -> None:
    first = plan_check_ins(miss, date(2025, 6, 1), None, "Europe/Madrid")[0]
    assert (first.pod, first.kind) == (1, CheckInKind.SCHEDULED)
    assert first.due_at == utc(2025, 6, 2, 7)
    assert first.remind_at == utc(2025, 6, 2, 11)
    assert first.missed_at == utc(2025, 6, 2, 19)
    assert first.note is None


def local_days(plan: tuple[PlannedCheckIn, ...], zone: str) -> list[tuple[int, str, str]]:
    return [(c.pod, c.kind.value, f"{c.due_at.astimezone(ZoneInfo(zone)):%H:%M}") for c in plan]


def test_discharged_on_pod_0_the_evening_check_is_that_evening_and_check_ins_start_on_pod_1(
    spine: Protocol,
) -> None:
    surgery = date(2025, 6, 1)
    plan = plan_check_ins(spine, surgery, surgery, "Asia/Kolkata")
    assert local_days(plan, "Asia/Kolkata")[:3] == [
        (0, "evening", "18:00"),
        (1, "scheduled", "09:00"),
        (2, "scheduled", "09:00"),
    ]
    evening = plan[0]
    assert evening.due_at == utc(2025, 6, 1, 12, 30)  # 18:00 IST
    assert evening.remind_at == evening.due_at + timedelta(hours=1)
    assert evening.missed_at == evening.due_at + timedelta(hours=3)  # 21:00, before quiet hours
    assert evening.note is None
    assert [c.pod for c in plan[1:]] == list(spine.schedule.check_ins)


def test_discharged_on_pod_3_days_in_hospital_are_not_asked(spine: Protocol) -> None:
    surgery = date(2025, 6, 1)
    plan = plan_check_ins(spine, surgery, surgery + timedelta(days=3), "Europe/Madrid")
    assert local_days(plan, "Europe/Madrid")[:2] == [
        (3, "evening", "18:00"),
        (4, "scheduled", "09:00"),
    ]
    assert [c.pod for c in plan[1:]] == [p for p in spine.schedule.check_ins if p >= 4]
    assert plan[0].due_at == utc(2025, 6, 4, 16)  # 18:00 in Madrid on POD 3


def test_with_no_discharge_date_check_ins_start_the_day_after_surgery(spine: Protocol) -> None:
    surgery = date(2025, 6, 1)
    plan = plan_check_ins(spine, surgery, None, "Europe/Madrid")
    assert local_days(plan, "Europe/Madrid")[0] == (1, "scheduled", "09:00")
    assert all(c.kind is CheckInKind.SCHEDULED for c in plan)  # no evening: which one?
    assert [c.pod for c in plan] == list(spine.schedule.check_ins)


def test_a_v1_protocol_keeps_its_pod_0_evening_check_for_same_day_discharge_only(
    miss_v1: Protocol,
) -> None:
    surgery = date(2025, 6, 1)
    same_day = plan_check_ins(miss_v1, surgery, surgery, ZoneInfo("Asia/Kolkata"))
    assert (same_day[0].pod, same_day[0].kind) == (0, CheckInKind.EVENING)
    assert same_day[0].due_at == utc(2025, 6, 1, 12, 30)  # 18:00 IST
    assert same_day[0].missed_at == same_day[0].due_at + timedelta(hours=12)
    for discharge in (surgery + timedelta(days=3), None):
        plan = plan_check_ins(miss_v1, surgery, discharge, "Asia/Kolkata")
        assert all(c.kind is CheckInKind.SCHEDULED for c in plan)
        assert plan[0].pod == 1  # v1 asks the days in hospital too


def test_a_reminder_that_would_fall_in_quiet_hours_is_dropped_when_the_check_in_is_missed_first(
    miss_v1: Protocol,
) -> None:
    evening = plan_check_ins(miss_v1, date(2025, 6, 1), date(2025, 6, 1), "Europe/Madrid")[0]
    assert evening.remind_at is None  # 22:00 is quiet; by 08:00 it was missed (06:00)
    assert evening.note == (
        "reminder at 22:00 falls in quiet hours, and by 08:00 the check-in counts as missed: "
        "no reminder"
    )


def test_a_reminder_in_quiet_hours_moves_to_their_end_the_next_morning(
    edit_miss: Callable[..., Protocol],
) -> None:
    protocol = edit_miss(
        ('time: "09:00"', 'time: "16:00"'),
        ("reminder_after_hours: 4", "reminder_after_hours: 6"),
        ("missed_after_hours: 12", "missed_after_hours: 18"),
    )
    first = plan_check_ins(protocol, date(2025, 6, 1), None, "Europe/Madrid")[0]
    assert first.remind_at == utc(2025, 6, 3, 6)  # 08:00 in Madrid, the next day
    assert first.note == "reminder at 22:00 falls in quiet hours: moved to 08:00"


def test_a_reminder_after_midnight_moves_to_the_end_of_quiet_hours_that_morning(
    edit_miss: Callable[..., Protocol],
) -> None:
    protocol = edit_miss(
        ('time: "09:00"', 'time: "20:00"'),
        ("reminder_after_hours: 4", "reminder_after_hours: 6"),
        ("missed_after_hours: 12", "missed_after_hours: 14"),
    )
    first = plan_check_ins(protocol, date(2025, 6, 1), None, "Europe/Madrid")[0]
    assert first.remind_at == utc(2025, 6, 3, 6)  # 02:00 → 08:00 the same morning
    assert first.missed_at == utc(2025, 6, 3, 8)


def test_a_local_time_skipped_by_the_clocks_is_moved_forward_by_the_gap(
    edit_miss: Callable[..., Protocol],
) -> None:
    protocol = edit_miss(('time: "09:00"', 'time: "02:30"'), *NIGHT_IS_NOT_QUIET)
    plan = plan_check_ins(protocol, date(2025, 3, 28), None, "Europe/Madrid")
    on_the_day = next(c for c in plan if c.pod == 2)  # Sunday 30 March: 02:00 → 03:00
    assert on_the_day.due_at.astimezone(ZoneInfo("Europe/Madrid")).strftime("%H:%M") == "03:30"
    assert on_the_day.note == "02:30 does not exist on 2025-03-30 in Europe/Madrid: moved on"
    assert next(c for c in plan if c.pod == 3).note is None


def test_a_local_time_that_happens_twice_is_the_first_of_the_two(
    edit_miss: Callable[..., Protocol],
) -> None:
    protocol = edit_miss(('time: "09:00"', 'time: "01:30"'), *NIGHT_IS_NOT_QUIET)
    plan = plan_check_ins(protocol, date(2025, 10, 31), None, "America/New_York")
    on_the_day = next(c for c in plan if c.pod == 2)  # Sunday 2 November: 02:00 → 01:00
    assert on_the_day.due_at == utc(2025, 11, 2, 5, 30)  # 01:30 EDT, not 01:30 EST
    assert on_the_day.note is None
