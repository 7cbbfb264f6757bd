"""How many check-ins per second one core scores, with both shipped spine protocols.

Each case is a scheduled check-in of a random day with random valid answers to that day's
questions (mostly reassuring, sometimes not, some skipped) and the few check-ins before it
(some missed). Cases are made before timing; only ``score`` is timed.

    python -m benchmarks.scoring [--seconds 3] [--cases 2000] [--seed 1]   (or ``make bench``)
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from typing import Any

from bot.protocols.sources import load_protocols
from flows import CheckInKind, PastCheckIn, Protocol, score
from flows.agenda import agenda
from flows.schema import (
    ChoiceItem,
    NumberItem,
    OrdinalItem,
    PhotoItem,
    TextItem,
    Worse,
    YesNoItem,
)
from flows.schema.items import accepted_range

Case = tuple[Protocol, int, dict[str, Any], tuple[PastCheckIn, ...]]


def answer(protocol: Protocol, item_id: str, rng: random.Random) -> Any:
    item = protocol.item(item_id)
    worrying = rng.random() < 0.1  # most answers are reassuring
    if isinstance(item, YesNoItem):
        return item.concerning if worrying else not item.concerning
    if isinstance(item, ChoiceItem | OrdinalItem):
        options = [option.id for option in item.options]
        best_last = isinstance(item, OrdinalItem) and item.worse is Worse.LOWER
        return rng.choice(options) if worrying else options[-1 if best_last else 0]
    if isinstance(item, PhotoItem | TextItem):
        return "file-ref"
    accepted = accepted_range(item)
    if isinstance(item, NumberItem):
        return round(rng.uniform(36.0, 39.0 if worrying else 37.8), item.decimals)
    return rng.randint(int(accepted.min), min(int(accepted.max), 10 if worrying else 5))


def check_in_answers(protocol: Protocol, pod: int, rng: random.Random) -> dict[str, Any]:
    return {
        item_id: answer(protocol, item_id, rng)
        for item_id in agenda(protocol, pod, CheckInKind.SCHEDULED)
        if rng.random() > 0.05  # a few questions skipped
    }


def make_case(protocol: Protocol, rng: random.Random) -> Case:
    days = protocol.schedule.check_ins
    index = rng.randrange(1, len(days))
    history = tuple(
        PastCheckIn(pod, missed=True)
        if rng.random() < 0.15
        else PastCheckIn(pod, check_in_answers(protocol, pod, rng))
        for pod in days[max(0, index - 4) : index]
    )
    pod = days[index]
    return protocol, pod, check_in_answers(protocol, pod, rng), history


def rate(cases: list[Case], seconds: float) -> float:
    scored, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for protocol, pod, answers, history in cases:
            score(protocol, pod, answers, history)
        scored += len(cases)
    return scored / elapsed


def measure(seconds: float = 3.0, cases: int = 2000, seed: int = 1) -> dict[str, Any]:
    """Check-ins scored per second on one core: per protocol, and both mixed."""
    rng = random.Random(seed)
    protocols = [loaded.protocol for loaded in load_protocols(None).values()]
    per_protocol = {p.id: [make_case(p, rng) for _ in range(cases)] for p in protocols}
    everything = [case for made in per_protocol.values() for case in made]
    rng.shuffle(everything)
    pinned = _one_core()
    try:
        rates = {name: rate(made, seconds) for name, made in per_protocol.items()}
        rates["both, mixed"] = rate(everything, seconds)
    finally:
        if pinned is not None:
            os.sched_setaffinity(0, pinned)
    return {
        "cores_used": 1,
        "check_ins_per_second": {name: round(value) for name, value in rates.items()},
    }


def _one_core() -> set[int] | None:
    """Pin this process to one core; returns the cores it had (None where it cannot)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    had = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(had)})
    return had


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    print(f"python {platform.python_version()} on {machine}, 1 used")
    found = measure(args.seconds, args.cases, args.seed)
    for name, value in found["check_ins_per_second"].items():
        print(f"{name:20} {value:10,.0f} check-ins/s")


if __name__ == "__main__":
    main()
