"""Time to a recovery milestone: Kaplan–Meier curves and the log-rank test (statsmodels).

A milestone is seen only when the patient answers a check-in, so the event time is the POD of
the first answered planned check-in at which its item satisfies it: the true day lies between
the check-in before and that one (interval-bounded by the schedule). A patient who has not
reached it is censored at the last check-in that judged it (its item answered): follow-up
ended, or the patient stopped answering. Never judged: censored on the day of surgery, so that
they are counted but tell nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from bot.reports.outcomes.rows import EpisodeRecord, MilestoneDefinition

Z_95 = 1.959963984540054  # the normal quantile of a two-sided 95 % interval


@dataclass(frozen=True, slots=True)
class TimeToEvent:
    pod: int
    reached: bool  # False: censored at ``pod``


@dataclass(frozen=True)
class Curve:
    """One group's Kaplan–Meier estimate of the share *not yet* at the milestone."""

    group: str
    n: int
    events: int
    times: tuple[float, ...]  # the PODs at which someone reached it
    survival: tuple[float, ...]  # not yet reached, just after each time
    lower: tuple[float, ...]  # pointwise 95 % band
    upper: tuple[float, ...]
    median: float | None  # the first POD by which half had reached it; None: not reached
    median_ci: tuple[float | None, float | None]
    at_risk: tuple[tuple[int, int], ...]  # (POD, patients still followed and not yet there)


@dataclass(frozen=True)
class LogRank:
    """The log-rank test between the approaches, stratified by operation."""

    groups: tuple[str, ...]
    strata: tuple[str, ...]
    n: int
    chi_square: float
    p_value: float


def time_to(episode: EpisodeRecord, milestone: MilestoneDefinition) -> TimeToEvent:
    judged_last = 0
    for check_in in sorted(episode.check_ins, key=lambda c: c.pod):
        if not check_in.answers:
            continue
        met = milestone.test(check_in.answers)
        if met is None:
            continue
        if met:
            return TimeToEvent(check_in.pod, reached=True)
        judged_last = check_in.pod
    return TimeToEvent(judged_last, reached=False)


def kaplan_meier(group: str, observed: Sequence[TimeToEvent], at_days: Sequence[int]) -> Curve:
    """The curve of ``observed`` (at least one), numbers at risk counted at ``at_days``."""
    times = np.array([o.pod for o in observed], dtype=float)
    status = np.array([1 if o.reached else 0 for o in observed])
    at_risk = tuple((day, int((times >= day).sum())) for day in at_days)
    if not status.any():  # statsmodels needs an event; nobody reached it: nothing to estimate
        return Curve(group, len(observed), 0, (), (), (), (), None, (None, None), at_risk)
    fitted = SurvfuncRight(times, status)
    survival = np.asarray(fitted.surv_prob, dtype=float)
    lower, upper = _band(survival, np.asarray(fitted.surv_prob_se, dtype=float))
    median = float(fitted.quantile(0.5))
    return Curve(
        group=group,
        n=len(observed),
        events=int(status.sum()),
        times=tuple(float(t) for t in fitted.surv_times),
        survival=tuple(float(s) for s in survival),
        lower=tuple(lower),
        upper=tuple(upper),
        median=None if np.isnan(median) else median,
        median_ci=_median_ci(fitted),
        at_risk=at_risk,
    )


def _band(survival: np.ndarray, se: np.ndarray) -> tuple[list[float], list[float]]:
    """The pointwise 95 % band on the log(−log) scale, from statsmodels' Greenwood standard
    error; at 1 and 0 the band is the estimate itself."""
    lower, upper = survival.copy(), survival.copy()
    inside = (survival > 0) & (survival < 1)
    s = survival[inside]
    spread = Z_95 * se[inside] / np.abs(s * np.log(s))
    lower[inside] = s ** np.exp(spread)
    upper[inside] = s ** np.exp(-spread)
    return [float(v) for v in lower], [float(v) for v in upper]


def _median_ci(fitted: SurvfuncRight) -> tuple[float | None, float | None]:
    with np.errstate(divide="ignore", invalid="ignore"):
        try:
            low, high = fitted.quantile_ci(0.5)
        except (ValueError, IndexError, ZeroDivisionError):
            return None, None
    return tuple(None if np.isnan(v) else float(v) for v in (low, high))  # type: ignore[return-value]


def log_rank(
    observed: Sequence[TimeToEvent], groups: Sequence[str], strata: Sequence[str]
) -> LogRank | None:
    """statsmodels' ``survdiff``; None unless two groups are present, someone reached it and
    there are enough patients to estimate its variance."""
    kinds, layers = sorted(set(groups)), sorted(set(strata))
    if len(kinds) < 2 or not any(o.reached for o in observed):
        return None
    times = np.array([o.pod for o in observed], dtype=float)
    status = np.array([1 if o.reached else 0 for o in observed])
    with np.errstate(divide="ignore", invalid="ignore"):
        try:
            chi_square, p_value = survdiff(
                times,
                status,
                np.array(groups),
                strata=np.array(strata) if len(layers) > 1 else None,
            )
        except np.linalg.LinAlgError:  # too few patients: no variance to test against
            return None
    if np.isnan(p_value):
        return None
    return LogRank(tuple(kinds), tuple(layers), len(observed), float(chi_square), float(p_value))
