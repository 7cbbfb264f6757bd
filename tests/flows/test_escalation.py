"""Escalation steps come due in order, repeat when they say so, and end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.escalation import (
    DEFAULT_CHAINS,
    ON_CALL,
    SURGEON,
    TEAM_CHAT,
    Step,
    after,
    first_due,
    parse_duration,
    step_from_json,
)
from flows.tiers import Tier

OPENED = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_red_urgent_calls_the_on_call_nurse_after_15_min_then_the_surgeon_after_30() -> None:
    chain = DEFAULT_CHAINS[Tier.RED_URGENT]
    assert first_due(chain, OPENED) == (1, OPENED + timedelta(minutes=15))
    assert chain[1].notify == ON_CALL
    assert after(chain, OPENED, 1, OPENED + timedelta(minutes=15)) == (
        2,
        OPENED + timedelta(minutes=30),
    )
    assert chain[2].notify == SURGEON
    assert after(chain, OPENED, 2, OPENED + timedelta(minutes=30)) is None


def test_red_emergency_tells_the_on_call_nurse_at_once_and_repeats_the_surgeon() -> None:
    chain = DEFAULT_CHAINS[Tier.RED_EMERGENCY]
    assert first_due(chain, OPENED) == (1, OPENED)
    assert after(chain, OPENED, 1, OPENED) == (2, OPENED + timedelta(minutes=5))
    late = OPENED + timedelta(minutes=5, seconds=7)
    assert after(chain, OPENED, 2, late) == (2, late + timedelta(minutes=5))


def test_a_late_run_does_not_schedule_the_next_step_in_the_past() -> None:
    chain = DEFAULT_CHAINS[Tier.RED_URGENT]
    late = OPENED + timedelta(hours=2)
    assert after(chain, OPENED, 1, late) == (2, late)


def test_a_chain_of_only_the_card_has_nothing_further() -> None:
    assert first_due((Step(0, TEAM_CHAT),), OPENED) is None


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
