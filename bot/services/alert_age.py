"""How long an alert has been open, against its protocol's acknowledgement target.

One reckoning for every view that says "past its target" (/alerts, the team's digest).
The target is the protocol's for the alert's tier; ``daytime_only`` is not taken into
account here: the age is counted in plain minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.models import Alert
from flows import Protocol, Tier


@dataclass(frozen=True)
class AlertAge:
    minutes: int
    target_minutes: int | None  # None: the protocol sets no target for this tier

    @property
    def past_target(self) -> bool:
        return self.target_minutes is not None and self.minutes > self.target_minutes


def age_of(alert: Alert, protocol: Protocol, now: datetime) -> AlertAge:
    minutes = int((now - alert.opened_at).total_seconds() // 60)
    target = protocol.escalation.target(Tier(alert.tier))
    return AlertAge(minutes, target.acknowledge_within_minutes if target else None)
