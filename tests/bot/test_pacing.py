"""The pacer's arithmetic, on a clock the test moves."""

from __future__ import annotations

import pytest

from bot.delivery.pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_red_flag_may_run_a_few_sends_ahead_of_the_steady_pace() -> None:
    clock = Clock()
    pacer = Pacer(overall_per_second=10, urgent_ahead=5, monotonic=clock)
    for chat in range(1, 4):
        pacer.sent(chat)

    assert pacer.wait_for(99) == pytest.approx(0.3)  # routine: behind the three
    assert pacer.wait_for(99, urgent=True) == 0.0  # a red flag: at once

    for chat in range(4, 7):
        pacer.sent(chat)
    # Six ahead of the pace is more than five: even a red flag waits, briefly.
    assert pacer.wait_for(99, urgent=True) == pytest.approx(0.1)


def test_the_interval_to_a_patient_counts_from_telegrams_answer() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    pacer.sent(7)
    clock.now = 0.4  # the answer came back after 0.4 s
    pacer.answered(7)

    assert pacer.wait_for(7) == pytest.approx(1.0)
    assert pacer.wait_for(-100) == 0.0  # a group is not held by a patient's interval


def test_chats_held_by_their_own_limit_are_named_with_their_wait() -> None:
    clock = Clock()
    pacer = Pacer(overall_per_second=10, group_per_minute=2, monotonic=clock)
    pacer.sent(7)  # a patient: one a second
    pacer.sent(-100)
    pacer.sent(-100)  # a group at its limit: a minute
    pacer.hold(8, 5.0)  # Telegram said retry_after to this one
    pacer.hold(None, 30.0)  # and to everyone: not a chat's own limit
    clock.now = 0.5

    assert pacer.not_ready(beyond=0.25) == {
        7: pytest.approx(0.5),
        -100: pytest.approx(59.5),
        8: pytest.approx(4.5),
    }
    assert pacer.not_ready(beyond=1.0) == {-100: pytest.approx(59.5), 8: pytest.approx(4.5)}
