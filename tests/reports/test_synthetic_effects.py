"""The report recovers the synthetic cohort's known effects, at 200 patients a pathway.

The answers are what the pipeline records (``records.lived``: the same schedule, conversation
and replies; ``test_synthetic_pipeline`` holds the pipeline to them), so that the statistics
can be tested at a size the pipeline takes too long to live through in a test.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.patients.synthetic.model import (
    LOST,
    PAIN_AFTER_WALK,
    WALK_MEDIANS,
    SyntheticPatient,
    cohort,
    observed_median,
)
from bot.patients.synthetic.records import lived
from bot.protocols.sources import load_protocols
from bot.reports.outcomes.reading import PATHWAY_KINDS, milestones_of
from bot.reports.outcomes.report import milestone_section
from bot.reports.outcomes.rows import CheckInRecord, EpisodeRecord
from flows import CheckInKind, plan_check_ins

PER_PATHWAY = 200
ZONE = "Europe/Madrid"
PROTOCOLS = {name: loaded.protocol for name, loaded in load_protocols(None).items()}


def records(patients: list[SyntheticPatient]) -> list[EpisodeRecord]:
    found = []
    for number, patient in enumerate(patients):
        protocol = PROTOCOLS[patient.pathway]
        check_ins = tuple(
            CheckInRecord(pod=c.planned.pod, sent=True, answered=c.answered, answers=c.answers)
            for c in lived(patient, protocol, ZONE)
        )
        found.append(
            EpisodeRecord(
                episode_id=number,
                pathway=patient.pathway,
                approach=patient.approach,
                operation=patient.operation,
                surgery_date=patient.surgery_date,
                status="active",
                check_ins=check_ins,
                milestones=milestones_of(protocol),
            )
        )
    return found


@pytest.fixture(scope="module")
def episodes() -> list[EpisodeRecord]:
    patients = cohort(PER_PATHWAY * len(PATHWAY_KINDS), PATHWAY_KINDS, date(2026, 3, 2), seed=20)
    return records(patients)


def _walking_days(pathway: str) -> list[int]:
    """The scheduled PODs that ask about walking: where the milestone can be seen."""
    protocol = PROTOCOLS[pathway]
    asked = {
        pod for rule in protocol.schedule.questions if "walking" in rule.ask for pod in rule.pods
    }
    plan = plan_check_ins(protocol, date(2026, 3, 2), None, ZONE)
    return [p.pod for p in plan if p.kind is CheckInKind.SCHEDULED and p.pod in asked]


@pytest.mark.slow(seconds=60)
@pytest.mark.parametrize(
    ("milestone", "delay"), [("walking_outside_long", 0), ("back_pain_3", PAIN_AFTER_WALK)]
)
def test_each_median_is_the_true_median_rounded_up_to_the_next_check_in_day(
    episodes: list[EpisodeRecord], milestone: str, delay: int
) -> None:
    section = milestone_section(episodes, milestone, milestone)
    medians = {curve["group"]: curve["median"] for curve in section["curves"]}
    expected = {
        pathway: observed_median(WALK_MEDIANS[kinds] + delay, _walking_days(pathway))
        for pathway, kinds in PATHWAY_KINDS.items()
    }
    assert medians == expected
    # The effect is there to find: each open median is later than its MISS one.
    assert expected["spine-open-lumbar"] > expected["spine-miss-lumbar"]
    assert expected["spine-open-fusion"] > expected["spine-miss-fusion"]


@pytest.mark.slow(seconds=60)
def test_miss_and_open_differ_by_log_rank_stratified_by_operation(
    episodes: list[EpisodeRecord],
) -> None:
    section = milestone_section(episodes, "walking_outside_long", "walking")
    test = section["log_rank"]
    assert test["groups"] == ("MISS", "open")
    assert test["strata"] == ("decompression", "fusion")
    assert test["n"] == PER_PATHWAY * 4
    assert test["p_value"] < 0.01


@pytest.mark.slow(seconds=60)
def test_a_fifth_are_lost_and_censored_not_dropped(episodes: list[EpisodeRecord]) -> None:
    section = milestone_section(episodes, "walking_outside_long", "walking")
    assert sum(curve["n"] for curve in section["curves"]) == len(episodes)
    censored = sum(curve["n"] - curve["events"] for curve in section["curves"])
    lost = sum(1 for e in episodes if not all(c.answered for c in e.check_ins))
    assert lost == pytest.approx(LOST * len(episodes), rel=0.25)
    assert 0 < censored <= lost
