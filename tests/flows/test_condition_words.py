"""Conditions read aloud the way a reviewer checks them against the clinical file."""

from __future__ import annotations

from flows.describe import answer_words, describe, milestone_words
from flows.schema import Protocol


def rule_words(protocol: Protocol) -> dict[str, str]:
    return {rule.id: describe(rule.when) for rule in protocol.rules}


def test_the_spine_rules_in_words(miss: Protocol) -> None:
    words = rule_words(miss)
    assert words["cauda_equina_saddle"] == "saddle_numbness = yes"
    assert words["wound_bleeding"] == "wound_bleeding is soaked or swelling"
    assert words["fever_late"] == "temperature ≥ 38.0 and POD ≥ 4"
    assert words["fever_wound_signs"] == (
        "temperature ≥ 38.0 and (wound_redness ≠ none or wound_fluid ≠ none)"
    )
    assert words["pain_rising"] == (
        "(pain_back ≥ 5 and rise of pain_back over its lowest of the previous 7 days ≥ 2) or "
        "(pain_leg ≥ 5 and rise of pain_leg over its lowest of the previous 7 days ≥ 2)"
    )
    assert words["fever_sustained"] == (
        "temperature ≥ 38.0 and temperature at the previous answer within 3 days ≥ 38.0"
    )
    assert words["patient_concern"] == "a concern check-in"
    assert words["amber_domains"].startswith(
        "rules of at least 3 different domains hold (pain: pain_high, pain_not_controlled, "
        "pain_rising; temperature: fever; "
    )
    assert words["fluids_not_kept_down"] == "fluids_down = no"
    assert (
        words["off_track"]
        == "behind on a milestone at each of the last 2 check-ins that judged one"
    )
    assert words["no_response_early"] == (
        "(an evening check-in and this check-in missed) or the first daily check-in missed"
    )
    assert words["no_response_discharge_evening"] == (
        "an evening check-in and this check-in missed and POD ≤ 1"
    )
    assert words["no_response_repeated"] == "3 check-ins in a row missed"


def test_missed_among_the_first_daily_check_ins_in_words() -> None:
    from flows.schema.conditions import Missed

    assert describe(Missed.model_validate({"missed": {"first": 3}})) == (
        "one of the first 3 daily check-ins missed"
    )


def test_the_v1_rules_in_words(miss_v1: Protocol) -> None:
    words = rule_words(miss_v1)
    assert words["pain_rising"].startswith("(pain_back ≥ 5 and pain_back up ≥ 2 since its last")
    assert words["no_response_early"] == "the check-in of POD 0 or 1 missed"


def test_not_and_strict_comparisons_in_words(hernia: Protocol) -> None:
    words = rule_words(hernia)
    assert words["still_in_bed"] == "POD ≥ 2 and not (mobility ≥ house)"
    assert words["pain_high"] == "groin_pain > 6"
    assert words["weight_high"] == "weight > 140"
    assert milestone_words(hernia.milestones[1]) == "groin_pain < 4 from POD 7"


def test_a_fall_is_described_as_a_change(hernia: Protocol) -> None:
    from flows.schema.conditions import ChangeIs

    fall = ChangeIs(change="groin_pain", at_most=-3)
    assert describe(fall) == "change in groin_pain since its last answer ≤ -3"
    assert describe(ChangeIs(change="groin_pain", at_least=3)) == (
        "groin_pain up ≥ 3 since its last answer"
    )


def test_answers_read_with_their_units_and_one_day_is_singular(miss: Protocol) -> None:
    assert answer_words(miss.item("temperature"), 38.25) == "38.2 °C"
    assert answer_words(miss.item("pain_leg"), 7) == "7/10"
    assert answer_words(miss.item("bowels_days"), 1) == "1 day"
    assert answer_words(miss.item("bowels_days"), 4) == "4 days"
    assert answer_words(miss.item("saddle_numbness"), True) == "yes"
