"""Answers by POD and pathway: pain (median and interquartile range), walking and opioid use.

Only planned check-ins count (scheduled and discharge-evening), so that every POD is a day the
schedule asked; a concern screen is the patient's own timing and would weigh worse days more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from bot.reports.outcomes.rows import EpisodeRecord

PAIN_ITEMS = ("pain_back", "pain_leg")
# The clinical file's options, normal to worst (walking: from none to outside_long).
WALKING_LEVELS = ("none", "in_room", "indoors", "outside_short", "outside_long")
OPIOID_USE = ("none", "less", "same", "more")


def _values(episodes: Iterable[EpisodeRecord], item: str) -> dict[tuple[str, int], list[Any]]:
    found: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for episode in episodes:
        for check_in in episode.check_ins:
            value = check_in.answers.get(item)
            if value is not None:
                found[(episode.pathway, check_in.pod)].append(value)
    return found


def pain_by_pod(episodes: Sequence[EpisodeRecord]) -> list[dict[str, Any]]:
    rows = []
    for item in PAIN_ITEMS:
        for (pathway, pod), values in sorted(_values(episodes, item).items()):
            numbers = np.array([v for v in values if isinstance(v, int | float)], dtype=float)
            if not numbers.size:
                continue
            q1, mid, q3 = np.percentile(numbers, [25, 50, 75])
            rows.append(
                {
                    "item": item,
                    "pathway": pathway,
                    "pod": pod,
                    "n": int(numbers.size),
                    "median": float(mid),
                    "q1": float(q1),
                    "q3": float(q3),
                }
            )
    return rows


def levels_by_pod(
    episodes: Sequence[EpisodeRecord], item: str, levels: Sequence[str]
) -> list[dict[str, Any]]:
    """Per pathway and POD: how many answered each option (an unknown option is left out)."""
    rows = []
    for (pathway, pod), values in sorted(_values(episodes, item).items()):
        counts = {level: sum(1 for v in values if v == level) for level in levels}
        rows.append({"pathway": pathway, "pod": pod, "n": sum(counts.values()), "counts": counts})
    return rows
