"""How long an alert has waited for acknowledgement, against its protocol's target.

One reckoning for every view that says "past its target" (/alerts, the team's digest). The
target is the protocol's for the alert's tier; a target marked ``daytime_only`` (amber's
"acknowledge within 4 h, daytime") counts only daytime minutes in the team's time zone, as
its escalation does. Once acknowledged, an alert has met or missed its target: it is never
past it any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flows.daytime import daytime_between
from flows.schema.protocol import Protocol
from flows.tiers import Tier


@dataclass(frozen=True)
class AlertAge:
    minutes: int  # daytime minutes when the target counts daytime only
    target_minutes: int | None  # None: the protocol sets no target for this tier
    daytime: bool = False
    waiting: bool = True  # nobody has acknowledged it yet

    @property
    def past_target(self) -> bool:
        return (
            self.waiting
            and self.target_minutes is not None
            and (self.minutes > self.target_minutes)
        )

    @property
    def unit(self) -> str:
        return "daytime min" if self.daytime else "min"


def alert_age(
    protocol: Protocol,
    tier: Tier,
    opened_at: datetime,
    now: datetime,
    zone: ZoneInfo | str,
    *,
    waiting: bool,
) -> AlertAge:
    """The age at ``now`` of an alert of ``tier`` opened at ``opened_at``; ``waiting`` while
    nobody has acknowledged it."""
    target = protocol.escalation.target(tier)
    daytime = target is not None and target.daytime_only
    waited = daytime_between(opened_at, now, zone) if daytime else now - opened_at
    return AlertAge(
        int(waited.total_seconds() // 60),
        target.acknowledge_within_minutes if target else None,
        daytime=daytime,
        waiting=waiting,
    )
