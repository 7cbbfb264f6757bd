"""An alert's age against its protocol's acknowledgement target (``flows.alert_age``), read
off the alert as stored."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from db.models import Alert, AlertStatus
from flows import Protocol
from flows.alert_age import AlertAge, alert_age


def age_of(alert: Alert, protocol: Protocol, now: datetime, zone: ZoneInfo | str) -> AlertAge:
    return alert_age(
        protocol,
        alert.tier,
        alert.opened_at,
        now,
        zone,
        waiting=alert.status is AlertStatus.OPEN,
    )
