"""An alert's age against its protocol's acknowledgement target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows import Protocol, Tier
from flows.alert_age import AlertAge, alert_age

OPENED = datetime(2025, 3, 10, 21, 0, tzinfo=UTC)  # a Monday, an hour before daytime ends


def test_an_urgent_alert_counts_every_minute_against_its_target(miss: Protocol) -> None:
    age = alert_age(
        miss, Tier.RED_URGENT, OPENED, OPENED + timedelta(minutes=20), "UTC", waiting=True
    )
    assert age == AlertAge(minutes=20, target_minutes=15)
    assert age.past_target
    assert age.unit == "min"


def test_an_amber_alert_counts_daytime_minutes_in_the_team_zone(miss: Protocol) -> None:
    # Opened at 21:00: one daytime hour that evening, then the night does not count.
    next_morning = OPENED + timedelta(hours=11, minutes=30)  # 08:30 the next day
    age = alert_age(miss, Tier.AMBER, OPENED, next_morning, "UTC", waiting=True)
    assert age == AlertAge(minutes=90, target_minutes=240, daytime=True)
    assert not age.past_target
    assert age.unit == "daytime min"


def test_an_acknowledged_alert_is_never_past_its_target(miss: Protocol) -> None:
    later = OPENED + timedelta(hours=5)
    age = alert_age(miss, Tier.RED_EMERGENCY, OPENED, later, "UTC", waiting=False)
    assert age.minutes > age.target_minutes  # type: ignore[operator]
    assert not age.past_target


def test_a_tier_without_a_target_is_never_past_it(miss: Protocol) -> None:
    age = alert_age(miss, Tier.GREEN, OPENED, OPENED + timedelta(days=3), "UTC", waiting=True)
    assert age.target_minutes is None
    assert not age.past_target
