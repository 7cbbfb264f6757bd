"""How many check-ins per second one core scores, with both shipped spine protocols.

Each case is a scheduled check-in of a random day with random valid answers to that day's
questions (mostly reassuring, sometimes not, some skipped) and the few check-ins before it
(some missed). Cases are made before timing; only ``score`` is timed.

    python bench/scoring.py [--seconds 3] [--cases 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from typing import Any

from bot.protocols import load_protocols
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(args.seed)
    protocols = [loaded.protocol for loaded in load_protocols(None).values()]
    per_protocol = {p.id: [make_case(p, rng) for _ in range(args.cases)] for p in protocols}
    everything = [case for cases in per_protocol.values() for case in cases]
    rng.shuffle(everything)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    print(f"python {platform.python_version()} on {machine}, 1 used")
    for protocol_id, cases in per_protocol.items():
        print(f"{protocol_id:20} {rate(cases, args.seconds):10,.0f} check-ins/s")
    print(f"{'both, mixed':20} {rate(everything, args.seconds):10,.0f} check-ins/s")


if __name__ == "__main__":
    main()
