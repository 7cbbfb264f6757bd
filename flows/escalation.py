"""Escalation as a policy: a chain of steps, each "tell whom, after how long unacknowledged".

An alert keeps a copy of its team's chain from the moment it opened; this module says which
step is due when. It reads no clock: callers pass the instants, and the care team's time
zone for steps that count daytime hours only (see ``flows.daytime``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.daytime import daytime_after
from flows.tiers import Tier

TEAM_CHAT = "team_chat"
ON_CALL = "on_call"
SURGEON = "surgeon"
NOTIFY = (TEAM_CHAT, ON_CALL, SURGEON)


@dataclass(frozen=True, slots=True)
class ChainStep:
    """One step of an escalation chain (a team's ``EscalationStep`` row, as a value)."""

    after_seconds: int  # after the alert opened, while nobody has acknowledged it
    notify: str  # one of NOTIFY
    repeat_every_seconds: int | None = None  # repeated until acknowledged
    # Its delays (and repeats) count daytime hours only, in the team's time zone.
    daytime: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "after_seconds": self.after_seconds,
            "notify": self.notify,
            "repeat_every_seconds": self.repeat_every_seconds,
            "daytime": self.daytime,
        }


# The defaults follow the clinical file's acknowledgement targets (red_emergency 5 min,
# red_urgent 15 min, amber 4 h counted in daytime); who is told at each step is the
# project's default chain.
DEFAULT_CHAINS: dict[Tier, tuple[ChainStep, ...]] = {
    Tier.RED_EMERGENCY: (
        ChainStep(0, TEAM_CHAT),
        ChainStep(0, ON_CALL),
        ChainStep(300, SURGEON, 300),
    ),
    Tier.RED_URGENT: (ChainStep(0, TEAM_CHAT), ChainStep(900, ON_CALL), ChainStep(1800, SURGEON)),
    Tier.AMBER: (ChainStep(0, TEAM_CHAT), ChainStep(4 * 3600, ON_CALL, daytime=True)),
}


def step_from_json(data: dict[str, object]) -> ChainStep:
    repeat = data.get("repeat_every_seconds")
    return ChainStep(
        after_seconds=int(str(data["after_seconds"])),
        notify=str(data["notify"]),
        repeat_every_seconds=int(str(repeat)) if repeat is not None else None,
        daytime=data.get("daytime") is True,  # snapshots from before the flag count plain hours
    )


def first_due(
    chain: tuple[ChainStep, ...], opened_at: datetime, zone: ZoneInfo | str
) -> tuple[int, datetime] | None:
    """The first step to run after the card itself (an immediate team-chat step is the card)."""
    for position, step in enumerate(chain):
        if not (step.after_seconds == 0 and step.notify == TEAM_CHAT):
            return position, _later(step, opened_at, step.after_seconds, zone)
    return None


def after(
    chain: tuple[ChainStep, ...],
    opened_at: datetime,
    position: int,
    now: datetime,
    zone: ZoneInfo | str,
) -> tuple[int, datetime] | None:
    """What is due once step ``position`` has run at ``now``: itself again if it repeats,
    else the next step at its own time, never before now; None when the chain is done."""
    step = chain[position]
    if step.repeat_every_seconds:
        return position, _later(step, now, step.repeat_every_seconds, zone)
    if position + 1 < len(chain):
        following = chain[position + 1]
        return position + 1, max(now, _later(following, opened_at, following.after_seconds, zone))
    return None


def _later(step: ChainStep, start: datetime, seconds: int, zone: ZoneInfo | str) -> datetime:
    """``seconds`` after ``start``, counted the way ``step`` counts time."""
    if step.daytime:
        return daytime_after(start, seconds, zone)
    return start + timedelta(seconds=seconds)


def parse_duration(text: str) -> int:
    """'30s', '15m', '2h' (or a number of seconds) as seconds; ValueError otherwise."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit():
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 15m, 2h)")
    return int(number) * units[unit]


# An acknowledged alert that nobody resolves is asked about again once the protocol's
# contact target for its tier has passed (amber 24 h, red_urgent 1 h in the clinical file),
# and as often again after that. red_emergency has no contact target there; the hour used
# for it is the project's choice, not a clinical fact.
REPROMPT_WITHOUT_CONTACT_TARGET = timedelta(hours=1)


def reprompt_interval(contact_within_minutes: int | None) -> timedelta:
    """How long an acknowledged alert may stay unresolved before the team is asked again."""
    if contact_within_minutes is None:
        return REPROMPT_WITHOUT_CONTACT_TARGET
    return timedelta(minutes=contact_within_minutes)
