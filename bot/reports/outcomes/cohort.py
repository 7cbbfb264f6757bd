"""Who was followed: patients, length of follow-up, check-ins sent and answered.

Groups are each pathway, then each approach (MISS, open) and each operation (decompression,
fusion) over the pathways, then everyone. Length of follow-up is the POD of the last planned
check-in sent; patient-days (the alert rates' denominator) run from the first planned check-in
sent to the last.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from statistics import median
from typing import Any

from bot.reports.outcomes.rows import EpisodeRecord


def groupings(episodes: Sequence[EpisodeRecord]) -> list[tuple[str, list[EpisodeRecord]]]:
    """(label, episodes) for each pathway, approach and operation present, then all."""
    keys: tuple[tuple[str, Callable[[EpisodeRecord], str]], ...] = (
        ("pathway", lambda e: e.pathway),
        ("approach", lambda e: e.approach),
        ("operation", lambda e: e.operation),
    )
    found: list[tuple[str, list[EpisodeRecord]]] = []
    for name, key in keys:
        groups: dict[str, list[EpisodeRecord]] = defaultdict(list)
        for episode in episodes:
            groups[key(episode)].append(episode)
        found.extend((f"{name}: {value}", groups[value]) for value in sorted(groups))
    found.append(("all", list(episodes)))
    return found


def follow_up_days(episode: EpisodeRecord) -> int:
    return max((c.pod for c in episode.check_ins if c.sent), default=0)


def patient_days(episode: EpisodeRecord) -> int:
    sent = [c.pod for c in episode.check_ins if c.sent]
    return max(sent) - min(sent) + 1 if sent else 0


def cohort_rows(episodes: Sequence[EpisodeRecord]) -> list[dict[str, Any]]:
    rows = []
    for label, group in groupings(episodes):
        sent = sum(1 for e in group for c in e.check_ins if c.sent)
        answered = sum(1 for e in group for c in e.check_ins if c.sent and c.answered)
        rows.append(
            {
                "group": label,
                "patients": len(group),
                "median_follow_up_days": median(follow_up_days(e) for e in group),
                "check_ins_sent": sent,
                "check_ins_answered": answered,
                "response_rate": _percent(answered, sent),
            }
        )
    return rows


def response_by_pod(episodes: Iterable[EpisodeRecord]) -> list[dict[str, Any]]:
    """Per pathway and POD: planned check-ins sent, answered, and the share answered."""
    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for episode in episodes:
        for check_in in episode.check_ins:
            if check_in.sent:
                tally = counts[(episode.pathway, check_in.pod)]
                tally[0] += 1
                tally[1] += check_in.answered
    return [
        {
            "pathway": pathway,
            "pod": pod,
            "n": sent,
            "answered": answered,
            "response_rate": _percent(answered, sent),
        }
        for (pathway, pod), (sent, answered) in sorted(counts.items())
    ]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
