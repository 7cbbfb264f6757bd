"""The pacer's arithmetic, on a clock the test moves."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from bot.delivery.pacing import CLIMB_PER_SECOND, HOLD_JITTER, SLOW_DOWN, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_thirty_one_sends_never_fall_within_a_second_however_they_are_asked_for() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    times = []
    for chat in range(1, 301):
        clock.now += pacer.wait_for(chat)
        times.append(clock.now)
        pacer.sent(chat)

    # 40 ms of margin against jitter on the way to Telegram, and still 96 % of the cap.
    assert min(b - a for a, b in zip(times, times[30:], strict=False)) >= 1.04 - 1e-9
    assert 299 / (times[-1] - times[0]) == pytest.approx(30 / 1.04)


def test_requests_that_leave_a_little_late_do_not_slow_the_pace() -> None:
    # The event loop is busy now and then: each request leaves up to 15 ms after the pacer
    # allowed it. The pace keeps its schedule; Telegram's count is never exceeded.
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    lateness = random.Random(7)
    times = []
    for chat in range(1, 601):
        clock.now += pacer.wait_for(chat) + lateness.uniform(0.0, 0.015)
        times.append(clock.now)
        pacer.sent(chat)

    assert min(b - a for a, b in zip(times, times[30:], strict=False)) >= 1.04 - 1e-9
    assert min(b - a for a, b in pairwise(times)) >= 0.5 * 1.04 / 30
    assert 599 / (times[-1] - times[0]) >= 0.95 * 30


def test_a_stall_is_not_made_up_in_a_bunch() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    for chat in range(1, 31):
        clock.now += pacer.wait_for(chat)
        pacer.sent(chat)
    clock.now += 0.5  # the database held the sender
    waits = []
    for chat in range(31, 41):
        waits.append(pacer.wait_for(chat))
        clock.now += waits[-1]
        pacer.sent(chat)

    # The first goes at once; the next half an interval later, then the even pace again.
    interval = 1.04 / 30
    assert waits[:2] == [0.0, pytest.approx(interval / 2)]
    assert waits[2:] == [pytest.approx(interval)] * 8


def test_an_overall_429_holds_every_chat_then_the_rate_climbs_back() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock, rng=random.Random(1))
    pacer.sent(7)
    pacer.refused(7, 2.0, sent_at=0.0)

    held = pacer.wait_for(8)  # another patient, never refused: waits all the same
    assert 2.0 <= held <= 2.0 + HOLD_JITTER
    assert pacer.wait_for(-100) == held
    slowed = pacer.rate()
    assert slowed == pytest.approx(pacer.top_rate * SLOW_DOWN)

    # Answers to requests that left before the first 429 came back slow nothing further.
    clock.now = 0.1
    pacer.refused(9, 2.0, sent_at=0.0)
    assert pacer.rate() == pytest.approx(slowed)

    clock.now = held + 1.0  # one second after sending resumed: a little faster
    assert pacer.rate() == pytest.approx(slowed + CLIMB_PER_SECOND)
    clock.now = held + 60.0
    assert pacer.rate() == pytest.approx(pacer.top_rate)  # and back to the cap, no further


def test_a_groups_429_holds_that_group_only() -> None:
    clock = Clock()
    pacer = Pacer(monotonic=clock)
    pacer.refused(-100, 3.0, sent_at=0.0)

    assert pacer.wait_for(-100) == pytest.approx(3.0)
    assert pacer.wait_for(-200) == 0.0
    assert pacer.wait_for(7) == 0.0
    assert pacer.rate() == pacer.top_rate


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
