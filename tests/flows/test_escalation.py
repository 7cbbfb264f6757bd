"""Escalation steps come due in order, repeat when they say so, and end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.escalation import (
    DEFAULT_CHAINS,
    ON_CALL,
    SURGEON,
    TEAM_CHAT,
    ChainStep,
    after,
    first_due,
    parse_duration,
    step_from_json,
)
from flows.tiers import Tier

OPENED = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Madrid")


def test_red_urgent_calls_the_on_call_nurse_after_15_min_then_the_surgeon_after_30() -> None:
    chain = DEFAULT_CHAINS[Tier.RED_URGENT]
    assert first_due(chain, OPENED, ZONE) == (1, OPENED + timedelta(minutes=15))
    assert chain[1].notify == ON_CALL
    assert after(chain, OPENED, 1, OPENED + timedelta(minutes=15), ZONE) == (
        2,
        OPENED + timedelta(minutes=30),
    )
    assert chain[2].notify == SURGEON
    assert after(chain, OPENED, 2, OPENED + timedelta(minutes=30), ZONE) is None


def test_red_emergency_tells_the_on_call_nurse_at_once_and_repeats_the_surgeon() -> None:
    chain = DEFAULT_CHAINS[Tier.RED_EMERGENCY]
    assert first_due(chain, OPENED, ZONE) == (1, OPENED)
    assert after(chain, OPENED, 1, OPENED, ZONE) == (2, OPENED + timedelta(minutes=5))
    late = OPENED + timedelta(minutes=5, seconds=7)
    assert after(chain, OPENED, 2, late, ZONE) == (2, late + timedelta(minutes=5))


def test_a_late_run_does_not_schedule_the_next_step_in_the_past() -> None:
    chain = DEFAULT_CHAINS[Tier.RED_URGENT]
    late = OPENED + timedelta(hours=2)
    assert after(chain, OPENED, 1, late, ZONE) == (2, late)


def test_a_chain_of_only_the_card_has_nothing_further() -> None:
    assert first_due((ChainStep(0, TEAM_CHAT),), OPENED, ZONE) is None


def test_steps_survive_their_json_snapshot() -> None:
    for chain in DEFAULT_CHAINS.values():
        assert tuple(step_from_json(s.to_json()) for s in chain) == chain


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("45", 45)]
)
def test_durations_read_as_people_write_them(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["15 minutes", "m", "x5m", "2w", ""])
def test_a_duration_that_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def _madrid(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (_madrid(3, 10), _madrid(3, 14)),  # all in one day
        (_madrid(3, 20), _madrid(4, 10)),  # 2 h that evening, 2 h the next morning
        (_madrid(3, 23, 30), _madrid(4, 12)),  # nothing counts before 08:00
        (_madrid(4, 6), _madrid(4, 12)),
    ],
)
def test_amber_tells_the_on_call_nurse_after_4_daytime_hours(
    opened: datetime, due: datetime
) -> None:
    chain = DEFAULT_CHAINS[Tier.AMBER]
    assert chain[1].notify == ON_CALL and chain[1].daytime
    assert first_due(chain, opened, ZONE) == (1, due)
    assert first_due(chain, opened, "Europe/Madrid") == (1, due)  # a zone by name will do


def test_the_next_step_counts_daytime_from_the_opening_when_it_says_so() -> None:
    chain = (
        ChainStep(0, TEAM_CHAT),
        ChainStep(900, ON_CALL),
        ChainStep(4 * 3600, SURGEON, daytime=True),
    )
    opened = _madrid(3, 21)
    told_nurse = opened + timedelta(minutes=15)
    assert after(chain, opened, 1, told_nurse, ZONE) == (2, _madrid(4, 11))


def test_a_daytime_step_repeats_in_daytime_hours() -> None:
    chain = (ChainStep(0, TEAM_CHAT), ChainStep(3600, SURGEON, 3600, daytime=True))
    assert after(chain, _madrid(3, 20), 1, _madrid(3, 21, 30), ZONE) == (1, _madrid(4, 8, 30))


def test_a_plain_step_after_a_daytime_one_is_never_due_before_it() -> None:
    chain = (
        ChainStep(0, TEAM_CHAT),
        ChainStep(4 * 3600, ON_CALL, daytime=True),
        ChainStep(6 * 3600, SURGEON),
    )
    opened = _madrid(3, 20)
    assert after(chain, opened, 1, _madrid(4, 10), ZONE) == (2, _madrid(4, 10))


def test_a_snapshot_from_before_the_daytime_flag_counts_plain_hours() -> None:
    old = {"after_seconds": 14400, "notify": "on_call", "repeat_every_seconds": None}
    assert step_from_json(old) == ChainStep(14400, ON_CALL)
    assert step_from_json({**old, "daytime": True}).daytime
