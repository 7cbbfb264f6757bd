"""Made-up patients with known recovery, seeded: what each one answers on each POD.

Known effects, so that a report can be checked against them:

- walking outside for 15 minutes or more (``walking`` = ``outside_long``) is reached on a
  true day whose median is ``WALK_MEDIANS`` (MISS 3 days before open, for decompression and
  for fusion alike), spread by ``SPREAD`` around it;
- back pain falls to 3 or less ``PAIN_AFTER_WALK`` days after that;
- ``LOST`` of the patients stop answering after a POD drawn uniformly from 2 to 21
  (lost to follow-up, independently of their recovery).

These are test values for the software, not clinical facts: nothing here describes real
patients.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

# True median day of walking outside ≥ 15 min, by (approach, operation): MISS 3 days earlier.
WALK_MEDIANS = {
    ("MISS", "decompression"): 5,
    ("open", "decompression"): 8,
    ("MISS", "fusion"): 8,
    ("open", "fusion"): 11,
}
# Days from the median, with their weights: 30 % before it, 40 % on it, 30 % after it.
SPREAD = ((-3, 6), (-2, 10), (-1, 14), (0, 40), (1, 14), (2, 10), (3, 6))
PAIN_AFTER_WALK = 2
LOST = 0.2
LOST_AFTER = (2, 21)
# Discharge day (POD) by approach: MISS patients go home sooner.
DISCHARGE = {"MISS": (1, 2), "open": (2, 4)}
# Of the check-ins answered, the share with a fever (an alert for the team to resolve).
FEVER = 0.02
REF_PREFIX = "SYN-"
WALKING = ("none", "in_room", "indoors", "outside_short", "outside_long")


@dataclass(frozen=True)
class SyntheticPatient:
    ref: str
    pathway: str
    approach: str
    operation: str
    surgery_date: date
    discharge_date: date
    walk_day: int  # the true POD from which they walk outside ≥ 15 min
    lost_after: int | None  # the last POD they answer; None: they answer to the end
    seed: int

    @property
    def pain_day(self) -> int:
        return self.walk_day + PAIN_AFTER_WALK

    def answers_on(self, pod: int) -> bool:
        return self.lost_after is None or pod <= self.lost_after

    def walking(self, pod: int) -> str:
        """Reaching ``outside_long`` on the walk day, a step a day or two before."""
        to_go = self.walk_day - pod
        level = 4 if to_go <= 0 else 3 if to_go <= 2 else 2 if to_go <= 4 else 1
        return WALKING[level]

    def pain_back(self, pod: int) -> int:
        """Above 3 until the pain day, 3 or less from it on."""
        to_go = self.pain_day - pod
        return min(8, 4 + to_go // 2) if to_go > 0 else max(1, 3 + to_go // 7)

    def pain_leg(self, pod: int) -> int:
        return max(0, self.pain_back(pod) - 2)

    def opioid_use(self, pod: int) -> str:
        if pod <= 2:
            return "same"
        return "less" if pod < self.pain_day else "none"

    def fever(self, pod: int) -> bool:
        return random.Random(f"{self.seed}:{self.ref}:{pod}").random() < FEVER


def cohort(
    n: int, pathways: dict[str, tuple[str, str]], start: date, seed: int, spread_days: int = 28
) -> list[SyntheticPatient]:
    """``n`` patients spread evenly over ``pathways`` (id → (approach, operation)), operated
    over the ``spread_days`` from ``start``."""
    rng = random.Random(seed)
    offsets, weights = zip(*SPREAD, strict=True)
    names = sorted(pathways)
    found = []
    for number in range(n):
        pathway = names[number % len(names)]
        approach, operation = pathways[pathway]
        surgery = start + timedelta(days=rng.randrange(spread_days))
        walk = WALK_MEDIANS[(approach, operation)] + rng.choices(offsets, weights)[0]
        lost = rng.randint(*LOST_AFTER) if rng.random() < LOST else None
        found.append(
            SyntheticPatient(
                ref=f"{REF_PREFIX}{seed}-{number + 1:05d}",
                pathway=pathway,
                approach=approach,
                operation=operation,
                surgery_date=surgery,
                discharge_date=surgery + timedelta(days=rng.randint(*DISCHARGE[approach])),
                walk_day=walk,
                lost_after=lost,
                seed=seed,
            )
        )
    return found


def observed_median(true_median: int, check_in_days: list[int]) -> int:
    """The true median rounded up to the next check-in day: what a report can see."""
    return min(day for day in check_in_days if day >= true_median)
