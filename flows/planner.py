"""A patient's check-ins as moments in time: from the protocol's days and local times to UTC.

Every check-in is at the schedule's local time on its day, in the patient's time zone, so it
stays at 09:00 across daylight-saving changes (no day skipped, none doubled). Local times that
do not exist (the hour skipped in spring) are moved forward by the length of the gap (02:30 →
03:30); times that happen twice (autumn) are the first of the two. A reminder follows after
the protocol's delay unless that falls in quiet hours: it then moves to the end of the quiet
hours, or is dropped when the check-in would already count as missed by then. The missed
time is not moved: nothing is sent then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.agenda import CheckInKind
from flows.schema.protocol import Protocol
from flows.schema.schedule import QuietHours, clock


@dataclass(frozen=True, slots=True)
class PlannedCheckIn:
    pod: int
    kind: CheckInKind
    due_at: datetime  # UTC
    remind_at: datetime | None  # UTC; None when quiet hours leave no time for a reminder
    missed_at: datetime  # UTC
    note: str | None = None  # what was moved and why, for the record


def plan_check_ins(
    protocol: Protocol,
    surgery_date: date,
    discharge_date: date | None,
    time_zone: str | ZoneInfo,
) -> tuple[PlannedCheckIn, ...]:
    """Every check-in of the protocol for one patient, in time order.

    With a ``discharge_evening`` the patient is asked on the evening of the discharge day,
    whatever the POD; with ``home_days_only`` the day's check-ins start the day after it.
    Without a discharge date the check-ins start the day after surgery and there is no
    evening check: nobody knows which evening is the first at home, and asking a patient
    still in hospital would raise a non-response alert for nothing. A v1
    ``same_day_discharge_evening`` is planned only when the patient went home on the day of
    surgery.
    """
    zone = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
    schedule = protocol.schedule
    home_from = 0 if discharge_date is None else max(0, (discharge_date - surgery_date).days)
    slots: list[tuple[int, CheckInKind, str, float, float]] = []
    same_day = schedule.same_day_discharge_evening
    if schedule.discharge_evening is not None and discharge_date is not None:
        evening = schedule.discharge_evening
        slots.append(
            (
                home_from,
                CheckInKind.EVENING,
                evening.time,
                evening.reminder_after_hours,
                evening.missed_after_hours,
            )
        )
    elif same_day is not None and discharge_date == surgery_date:
        hours = (schedule.reminder_after_hours, schedule.missed_after_hours)
        slots.append((0, CheckInKind.EVENING, same_day.time, *hours))
    first = home_from + 1 if schedule.home_days_only else 0
    slots += [
        (
            pod,
            CheckInKind.SCHEDULED,
            schedule.time,
            schedule.reminder_after_hours,
            schedule.missed_after_hours,
        )
        for pod in schedule.check_ins
        if pod >= first
    ]
    return tuple(
        _plan(protocol, pod, kind, surgery_date + timedelta(days=pod), clock(hhmm), zone, hours)
        for pod, kind, hhmm, *hours in slots
    )


def _plan(
    protocol: Protocol,
    pod: int,
    kind: CheckInKind,
    day: date,
    at: time,
    zone: ZoneInfo,
    hours: list[float],
) -> PlannedCheckIn:
    schedule = protocol.schedule
    reminder_after, missed_after = hours
    due_at, shifted = to_utc(day, at, zone)
    notes = [f"{at:%H:%M} does not exist on {day} in {zone.key}: moved on"] if shifted else []
    missed_at = due_at + timedelta(hours=missed_after)
    reminder = due_at + timedelta(hours=reminder_after)
    remind_at: datetime | None = reminder
    local = reminder.astimezone(zone)
    quiet = schedule.quiet_hours
    if quiet.covers(local.time()):
        later = _end_of_quiet_hours(local, quiet, zone)
        if later < missed_at:
            remind_at = later
            notes.append(f"reminder at {local:%H:%M} falls in quiet hours: moved to {quiet.end}")
        else:
            remind_at = None
            notes.append(
                f"reminder at {local:%H:%M} falls in quiet hours, and by {quiet.end} the "
                "check-in counts as missed: no reminder"
            )
    return PlannedCheckIn(pod, kind, due_at, remind_at, missed_at, "; ".join(notes) or None)


def to_utc(day: date, at: time, zone: ZoneInfo) -> tuple[datetime, bool]:
    """The UTC moment of a local date and time, and whether that local time did not exist."""
    local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of a repeated hour
    moment = local.astimezone(UTC)
    return moment, moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None)


def _end_of_quiet_hours(local: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """The next end of quiet hours at or after a quiet local moment, in UTC."""
    end = clock(quiet.end)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return to_utc(day, end, zone)[0]
