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

    The POD 0 evening check is planned only when the patient went home on the day of surgery.
    """
    zone = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
    schedule = protocol.schedule
    slots: list[tuple[int, CheckInKind, str]] = []
    evening = schedule.same_day_discharge_evening
    if evening is not None and discharge_date == surgery_date:
        slots.append((0, CheckInKind.EVENING, evening.time))
    slots += [(pod, CheckInKind.SCHEDULED, schedule.time) for pod in schedule.check_ins]
    return tuple(
        _plan(protocol, pod, kind, surgery_date + timedelta(days=pod), clock(hhmm), zone)
        for pod, kind, hhmm in slots
    )


def _plan(
    protocol: Protocol, pod: int, kind: CheckInKind, day: date, at: time, zone: ZoneInfo
) -> PlannedCheckIn:
    schedule = protocol.schedule
    due_at, shifted = to_utc(day, at, zone)
    notes = [f"{at:%H:%M} does not exist on {day} in {zone.key}: moved on"] if shifted else []
    missed_at = due_at + timedelta(hours=schedule.missed_after_hours)
    reminder = due_at + timedelta(hours=schedule.reminder_after_hours)
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
