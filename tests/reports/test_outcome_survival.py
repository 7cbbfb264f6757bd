"""Time to a milestone: event on the check-in day it is first reported, censoring at the last
check-in that asked it, and Kaplan–Meier / log-rank from statsmodels on those times."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from bot.reports.outcomes.rows import CheckInRecord, EpisodeRecord, MilestoneDefinition
from bot.reports.outcomes.survival import TimeToEvent, kaplan_meier, log_rank, time_to


def _low_back_pain(answers: Mapping[str, Any]) -> bool | None:
    value = answers.get("pain_back")
    return None if value is None else value <= 3


BACK_PAIN_3 = MilestoneDefinition("back_pain_3", "pain_back ≤ 3", _low_back_pain)


def _episode(pains: Mapping[int, int | None], pathway: str = "spine-miss-lumbar") -> EpisodeRecord:
    """Check-ins on the PODs given; None: sent and not answered."""
    return EpisodeRecord(
        episode_id=1,
        pathway=pathway,
        approach="MISS",
        operation="decompression",
        surgery_date=date(2026, 11, 1),
        status="active",
        check_ins=tuple(
            CheckInRecord(
                pod=pod,
                sent=True,
                answered=pain is not None,
                answers={} if pain is None else {"pain_back": pain, "walking": "indoors"},
            )
            for pod, pain in pains.items()
        ),
        milestones=(BACK_PAIN_3,),
    )


def test_the_event_is_the_first_check_in_day_that_reports_it() -> None:
    # Pain 3 is first *reported* on POD 10: the true day lies between POD 7 and POD 10.
    found = time_to(_episode({5: 6, 6: 5, 7: None, 10: 3, 14: 2}), BACK_PAIN_3)
    assert found == TimeToEvent(10, reached=True)


def test_a_patient_who_stops_answering_is_censored_at_the_last_check_in_that_asked_it() -> None:
    found = time_to(_episode({1: 7, 2: 6, 3: 5, 4: None, 5: None, 6: None}), BACK_PAIN_3)
    assert found == TimeToEvent(3, reached=False)


def test_a_check_in_that_did_not_ask_the_item_neither_reaches_nor_censors() -> None:
    episode = _episode({1: 7, 2: 6})
    unasked = CheckInRecord(pod=3, sent=True, answered=True, answers={"walking": "indoors"})
    episode = replace(episode, check_ins=(*episode.check_ins, unasked))
    assert time_to(episode, BACK_PAIN_3) == TimeToEvent(2, reached=False)


def test_a_patient_never_asked_is_counted_censored_on_the_day_of_surgery() -> None:
    assert time_to(_episode({1: None}), BACK_PAIN_3) == TimeToEvent(0, reached=False)


# Ten patients, worked by hand: at POD 1, 1 of 10 reaches it (S = 0.9); POD 2, 1 of 9 and one
# censored (0.8); POD 3, 1 of 7 (0.6857); POD 5, 1 of 6 and one censored (0.5714); POD 7,
# 1 of 4 (0.4286: the median is POD 7); POD 10, 1 of 3 and one censored (0.2857); POD 14, 1 of 1.
HAND = [(1, 1), (2, 1), (2, 0), (3, 1), (5, 1), (5, 0), (7, 1), (10, 1), (10, 0), (14, 1)]
HAND_SURVIVAL = [0.9, 0.8, 0.8 * 6 / 7, 0.8 * 6 / 7 * 5 / 6, 0.8 * 6 / 7 * 5 / 6 * 3 / 4]


def test_the_curve_matches_a_hand_computed_case_with_censoring() -> None:
    observed = [TimeToEvent(pod, bool(reached)) for pod, reached in HAND]
    curve = kaplan_meier("hand", observed, at_days=(0, 7, 14))
    assert curve.times[:5] == (1, 2, 3, 5, 7)
    assert curve.survival[:5] == pytest.approx(HAND_SURVIVAL)
    assert curve.median == 7
    assert (curve.n, curve.events) == (10, 7)
    # At risk on a day: followed up to that day at least and not yet there.
    assert curve.at_risk == ((0, 10), (7, 4), (14, 1))
    assert all(
        lo <= s <= hi for lo, s, hi in zip(curve.lower, curve.survival, curve.upper, strict=True)
    )


def test_dropping_the_censored_would_give_another_median() -> None:
    # The point of censoring: without the three censored patients the median moves earlier.
    reached_only = [TimeToEvent(pod, True) for pod, reached in HAND if reached]
    assert kaplan_meier("dropped", reached_only, at_days=(0,)).median == 5


def test_the_median_is_statsmodels_own_on_the_same_data() -> None:
    rng = np.random.default_rng(7)
    pods = rng.choice([1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30], size=300)
    reached = rng.random(300) < 0.7
    observed = [TimeToEvent(int(p), bool(r)) for p, r in zip(pods, reached, strict=True)]
    expected = SurvfuncRight(pods.astype(float), reached.astype(int))
    curve = kaplan_meier("random", observed, at_days=(0,))
    assert curve.median == expected.quantile(0.5)
    assert curve.survival == pytest.approx(expected.surv_prob)


def test_nobody_reaching_it_gives_no_median_and_no_curve() -> None:
    curve = kaplan_meier("none", [TimeToEvent(5, False), TimeToEvent(7, False)], at_days=(0, 7))
    assert (curve.median, curve.times, curve.at_risk) == (None, (), ((0, 2), (7, 1)))


def test_log_rank_tells_two_different_groups_apart_within_operations() -> None:
    early = [TimeToEvent(p, True) for p in (2, 3, 3, 4, 4, 5, 5, 5, 6, 7)] * 3
    late = [TimeToEvent(p, True) for p in (7, 10, 10, 14, 14, 14, 21, 21, 30, 30)] * 3
    observed = early + late
    groups = ["MISS"] * len(early) + ["open"] * len(late)
    strata = (["decompression", "fusion"] * len(observed))[: len(observed)]
    test = log_rank(observed, groups, strata)
    assert test is not None and test.p_value < 0.001
    assert test.groups == ("MISS", "open") and test.strata == ("decompression", "fusion")
    same = log_rank(early + early, groups, strata)
    assert same is not None and same.p_value > 0.5


def test_log_rank_needs_two_groups() -> None:
    assert log_rank([TimeToEvent(3, True)] * 6, ["MISS"] * 6, ["fusion"] * 6) is None


def test_log_rank_is_not_given_when_too_few_patients_leave_no_variance() -> None:
    # One patient a pathway; the only event is where one group has nobody else at risk.
    observed = [TimeToEvent(3, reached) for reached in (False, False, True, True)]
    groups = ["MISS", "open", "MISS", "open"]
    strata = ["decompression", "decompression", "fusion", "fusion"]
    assert log_rank(observed, groups, strata) is None
