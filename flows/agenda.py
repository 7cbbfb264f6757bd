"""Which questions a check-in asks: by the day, the kind of check-in, and the groups."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from flows.schema.protocol import Protocol


class CheckInKind(StrEnum):
    """Why a check-in happens, which decides what it asks (stored with every check-in)."""

    SCHEDULED = "scheduled"  # the day's check-in at the schedule's time
    EVENING = "evening"  # the discharge-day evening safety check (v1: POD 0, same-day only)
    CONCERN = "concern"  # the patient reported a concern (/help): the red-flag screen
    EXTRA = "extra"  # started early or again by the patient (/checkin): asks what SCHEDULED asks


def members(protocol: Protocol, ids: Iterable[str]) -> set[str]:
    """The item ids named by ``ids``, a group standing for its items (unknown ids dropped)."""
    found: set[str] = set()
    for ident in ids:
        group = protocol.groups_by_id.get(ident)
        if group is not None:
            found.update(group.items)
        elif ident in protocol.items_by_id:
            found.add(ident)
    return found


def agenda(protocol: Protocol, pod: int, kind: CheckInKind) -> tuple[str, ...]:
    """Item ids the check-in may ask, in the protocol's item order (before ``ask_if``)."""
    schedule = protocol.schedule
    if kind is CheckInKind.CONCERN:
        wanted = members(protocol, schedule.concern)
    elif kind is CheckInKind.EVENING and schedule.discharge_evening is not None:
        wanted = members(protocol, schedule.discharge_evening.ask)
    elif kind is CheckInKind.EVENING:
        evening = schedule.same_day_discharge_evening
        wanted = members(protocol, evening.ask) if evening is not None and pod == 0 else set()
    elif pod in schedule.check_ins:  # scheduled or extra: the day's questions
        wanted = set()
        for block in schedule.questions:
            if pod in block.pods:
                wanted |= members(protocol, block.ask)
    else:
        wanted = set()
    return tuple(item.id for item in protocol.items if item.id in wanted)
