"""The clinical file's default rules (v2), case by case, on the four spine pathways.

Each rule has at least one case that fires it and one near miss that does not; a last test
checks that the table covers every rule of the shipped protocols.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flows.answers import PastCheckIn
from flows.schema import Protocol
from flows.tiers import Tier
from flows.triage import score, score_missed

RE, RU, AMBER, GREEN = Tier.RED_EMERGENCY, Tier.RED_URGENT, Tier.AMBER, Tier.GREEN


@dataclass(frozen=True)
class Case:
    says: str
    answers: dict[str, object]
    fires: tuple[str, ...] = ()
    spares: tuple[str, ...] = ()  # rules that must not fire
    tier: Tier | None = None
    pod: int = 2
    history: tuple[PastCheckIn, ...] = ()
    missed: bool = False  # score the check-in as missed (answers must be empty)
    kind: str = "scheduled"


def answered(pod: int, **answers: object) -> PastCheckIn:
    return PastCheckIn(pod, answers)


def missed(pod: int) -> PastCheckIn:
    return PastCheckIn(pod, missed=True)


def concern(pod: int, **answers: object) -> PastCheckIn:
    return PastCheckIn(pod, answers, kind="concern")


CASES = [
    # red_emergency
    Case(
        "saddle numbness is an emergency",
        {"saddle_numbness": True},
        ("cauda_equina_saddle",),
        tier=RE,
    ),
    Case(
        "no saddle numbness is not",
        {"saddle_numbness": False},
        spares=("cauda_equina_saddle",),
        tier=GREEN,
    ),
    Case(
        "new bladder leaking is an emergency",
        {"bladder": "leaking"},
        ("cauda_equina_incontinence",),
        tier=RE,
    ),
    Case(
        "retention is urgent, not incontinence",
        {"bladder": "cannot_pass"},
        ("urinary_retention",),
        ("cauda_equina_incontinence",),
        RU,
    ),
    Case("a weaker leg is an emergency", {"leg_weakness": True}, ("leg_weakness",), tier=RE),
    Case("legs no weaker is fine", {"leg_weakness": False}, spares=("leg_weakness",), tier=GREEN),
    Case(
        "chest pain or breathlessness is an emergency",
        {"chest_breath": True},
        ("pulmonary_embolism",),
        tier=RE,
    ),
    Case(
        "no chest pain is fine", {"chest_breath": False}, spares=("pulmonary_embolism",), tier=GREEN
    ),
    Case("fainting is an emergency", {"fainted": True}, ("fainted",), tier=RE),
    Case("not fainting is fine", {"fainted": False}, spares=("fainted",), tier=GREEN),
    # red_urgent
    Case(
        "difficulty passing urine is not retention",
        {"bladder": "difficult"},
        ("bladder_difficult",),
        ("urinary_retention",),
        AMBER,
    ),
    Case("a soaked dressing is urgent", {"wound_bleeding": "soaked"}, ("wound_bleeding",), tier=RU),
    Case(
        "a growing swelling is urgent", {"wound_bleeding": "swelling"}, ("wound_bleeding",), tier=RU
    ),
    Case(
        "spotting on the dressing is fine",
        {"wound_bleeding": "spotting"},
        spares=("wound_bleeding",),
        tier=GREEN,
    ),
    Case(
        "clear watery fluid is a possible CSF leak, not infection",
        {"wound_fluid": "clear_watery"},
        ("csf_leak_wound",),
        ("wound_infection_fluid",),
        RU,
    ),
    Case(
        "a dry wound is no CSF leak",
        {"wound_fluid": "none"},
        spares=("csf_leak_wound",),
        tier=GREEN,
    ),
    Case(
        "pus is a possible infection, not a CSF leak",
        {"wound_fluid": "cloudy_or_pus"},
        ("wound_infection_fluid",),
        ("csf_leak_wound",),
        RU,
    ),
    Case(
        "spreading redness is urgent",
        {"wound_redness": "spreading"},
        ("wound_infection_redness",),
        tier=RU,
    ),
    Case(
        "mild redness is amber, not urgent",
        {"wound_redness": "mild"},
        ("wound_redness_mild",),
        ("wound_infection_redness",),
        AMBER,
    ),
    Case(
        "no redness is fine", {"wound_redness": "none"}, spares=("wound_redness_mild",), tier=GREEN
    ),
    Case(
        "an upright headache is a possible CSF leak",
        {"headache_upright": True},
        ("csf_leak_headache",),
        tier=RU,
    ),
    Case(
        "no upright headache is fine",
        {"headache_upright": False},
        spares=("csf_leak_headache",),
        tier=GREEN,
    ),
    Case("a painful swollen calf is a possible DVT", {"calf": True}, ("dvt_calf",), tier=RU),
    Case("calves are fine", {"calf": False}, spares=("dvt_calf",), tier=GREEN),
    Case("confusion is urgent", {"confusion": True}, ("confusion",), tier=RU),
    Case("no confusion is fine", {"confusion": False}, spares=("confusion",), tier=GREEN),
    # temperature
    Case(
        "38.5 °C is urgent on any day",
        {"temperature": 38.5},
        ("fever_high",),
        ("fever",),
        RU,
        pod=1,
    ),
    Case(
        "38.4 °C early on is amber, not urgent",
        {"temperature": 38.4},
        ("fever",),
        ("fever_high", "fever_late"),
        AMBER,
        pod=3,
    ),
    Case(
        "38.0 °C on POD 4 is a late fever",
        {"temperature": 38.0},
        ("fever_late",),
        ("fever",),
        RU,
        pod=4,
    ),
    Case(
        "38.0 °C on POD 3 is not yet late",
        {"temperature": 38.0},
        ("fever",),
        ("fever_late",),
        AMBER,
        pod=3,
    ),
    Case(
        "37.9 °C on POD 4 is no fever",
        {"temperature": 37.9},
        spares=("fever_late", "fever"),
        tier=GREEN,
        pod=4,
    ),
    Case(
        "fever with mild redness is urgent",
        {"temperature": 38.0, "wound_redness": "mild"},
        ("fever_wound_signs", "wound_redness_mild"),
        ("fever",),
        RU,
    ),
    Case(
        "fever with wound fluid is urgent",
        {"temperature": 38.0, "wound_fluid": "clear_watery", "wound_redness": "none"},
        ("fever_wound_signs",),
        tier=RU,
    ),
    Case(
        "37.9 °C with mild redness is no fever",
        {"temperature": 37.9, "wound_redness": "mild"},
        ("wound_redness_mild",),
        ("fever_wound_signs", "fever"),
        AMBER,
    ),
    Case(
        "fever with a clean wound is amber",
        {"temperature": 38.0, "wound_redness": "none", "wound_fluid": "none"},
        ("fever",),
        ("fever_wound_signs",),
        AMBER,
    ),
    Case(
        "fever with an unanswered wound question is not read as a wound sign",
        {"temperature": 38.2, "wound_fluid": "none"},
        ("fever",),
        ("fever_wound_signs",),
        AMBER,
    ),
    # pain
    Case(
        "severe uncontrolled leg pain is urgent",
        {"pain_leg": 8, "pain_back": 2, "pain_control": "not_controlled"},
        ("pain_severe_uncontrolled", "pain_high", "pain_not_controlled"),
        tier=RU,
    ),
    Case(
        "pain 7 not controlled is amber",
        {"pain_back": 7, "pain_control": "not_controlled"},
        ("pain_high", "pain_not_controlled"),
        ("pain_severe_uncontrolled",),
        AMBER,
    ),
    Case(
        "severe pain partly controlled is amber",
        {"pain_back": 9, "pain_control": "partly"},
        ("pain_high",),
        ("pain_severe_uncontrolled", "pain_not_controlled"),
        AMBER,
    ),
    Case(
        "back pain 6 is fine",
        {"pain_back": 6, "pain_leg": 6},
        spares=("pain_high",),
        tier=GREEN,
        pod=1,
    ),
    Case(
        "pain medicines not working is amber",
        {"pain_control": "not_controlled"},
        ("pain_not_controlled",),
        tier=AMBER,
    ),
    Case(
        "pain partly controlled is fine",
        {"pain_control": "partly"},
        spares=("pain_not_controlled",),
        tier=GREEN,
    ),
    Case(
        "back pain up from 3 to 5 is rising",
        {"pain_back": 5},
        ("pain_rising",),
        tier=AMBER,
        pod=3,
        history=(answered(1, pain_back=3), answered(2, pain_back=3)),
    ),
    Case(
        "leg pain up from 4 to 6 is rising, compared with the last check-in that asked it",
        {"pain_leg": 6},
        ("pain_rising",),
        pod=3,
        history=(answered(1, pain_leg=4), answered(2, saddle_numbness=False), missed(2)),
    ),
    Case(
        "pain up by one is not rising",
        {"pain_back": 5},
        spares=("pain_rising",),
        pod=3,
        history=(answered(2, pain_back=4),),
    ),
    Case(
        "pain up by two to 4 is still low",
        {"pain_back": 4},
        spares=("pain_rising",),
        pod=3,
        history=(answered(2, pain_back=2),),
    ),
    Case("a first pain score has no trend", {"pain_back": 6}, spares=("pain_rising",), pod=1),
    # the trend window (v2): against the lowest of POD − 7 up to the day before
    Case(
        "a slow climb 3 → 4 → 5 is rising (one step at a time never is)",
        {"pain_back": 5},
        ("pain_rising",),
        tier=AMBER,
        pod=3,
        history=(answered(1, pain_back=3), answered(2, pain_back=4)),
    ),
    Case(
        "a low exactly 7 days earlier counts",
        {"pain_back": 5},
        ("pain_rising",),
        pod=10,
        history=(answered(3, pain_back=3), answered(7, pain_back=4)),
    ),
    Case(
        "a low 8 days earlier does not",
        {"pain_back": 5},
        spares=("pain_rising",),
        pod=10,
        history=(answered(2, pain_back=3), answered(7, pain_back=4)),
    ),
    Case(
        "a concern screen's pain counts as a low",
        {"pain_leg": 6},
        ("pain_rising",),
        pod=5,
        history=(answered(3, pain_leg=5), concern(4, pain_leg=4)),
    ),
    Case(
        "an answer the same day is not the days before",
        {"pain_back": 5},
        spares=("pain_rising",),
        pod=5,
        history=(concern(5, pain_back=3),),
    ),
    # other amber rules
    Case(
        "four days without a bowel movement is amber",
        {"bowels_days": 4},
        ("constipation",),
        tier=AMBER,
    ),
    Case("three days is fine", {"bowels_days": 3}, spares=("constipation",), tier=GREEN),
    Case("dizzy on standing is amber", {"dizzy": True}, ("dizzy_standing",), tier=AMBER),
    Case("not dizzy is fine", {"dizzy": False}, spares=("dizzy_standing",), tier=GREEN),
    Case(
        "not keeping food and drink down is amber",
        {"fluids_down": False},
        ("fluids_not_kept_down",),
        tier=AMBER,
    ),
    Case(
        "keeping fluids down is fine",
        {"fluids_down": True},
        spares=("fluids_not_kept_down",),
        tier=GREEN,
    ),
    Case("a fall is amber", {"fell": True}, ("fell",), tier=AMBER),
    Case("no fall is fine", {"fell": False}, spares=("fell",), tier=GREEN),
    Case("normal urine is fine", {"bladder": "normal"}, spares=("bladder_difficult",), tier=GREEN),
    # milestones
    Case(
        "behind at the last two check-ins is off track",
        {"walking": "none"},
        ("off_track",),
        tier=AMBER,
        history=(answered(1, walking="none"),),
    ),
    Case(
        "behind only today is not off track",
        {"walking": "none"},
        spares=("off_track",),
        tier=GREEN,
        history=(answered(1, walking="in_room"),),
    ),
    Case(
        "a check-in that judged no milestone says nothing about being off track",
        {"saddle_numbness": False},
        spares=("off_track",),
        history=(answered(1, walking="none"), answered(2, walking="none")),
    ),
    # non-response (v2): the first two planned check-ins are the discharge-evening check and
    # the first home check-in, whatever their POD
    Case(
        "a missed discharge-evening check after going home on POD 0 is urgent",
        {},
        ("no_response_discharge_evening",),
        ("no_response_early",),
        RU,
        pod=0,
        missed=True,
        kind="evening",
    ),
    Case(
        "a missed discharge-evening check after going home on POD 1 is urgent",
        {},
        ("no_response_discharge_evening",),
        tier=RU,
        pod=1,
        missed=True,
        kind="evening",
    ),
    Case(
        "a missed discharge-evening check after going home on POD 2 is amber",
        {},
        ("no_response_early",),
        ("no_response_discharge_evening",),
        AMBER,
        pod=2,
        missed=True,
        kind="evening",
    ),
    Case(
        "a missed first home check-in on POD 1 is amber, not the evening's urgency",
        {},
        ("no_response_early",),
        ("no_response_discharge_evening",),
        AMBER,
        pod=1,
        missed=True,
    ),
    Case(
        "a missed first home check-in is amber, whatever its POD",
        {},
        ("no_response_early",),
        ("no_response_discharge_evening",),
        AMBER,
        pod=4,
        history=(PastCheckIn(3, {"pain_back": 3}, kind="evening"),),
        missed=True,
    ),
    Case(
        "a concern screen before it does not make the first home check-in a later one",
        {},
        ("no_response_early",),
        tier=AMBER,
        pod=4,
        history=(PastCheckIn(3, missed=True, kind="evening"), concern(3, calf=False)),
        missed=True,
    ),
    Case(
        "a missed second daily check-in alone is not",
        {},
        spares=("no_response_early", "no_response_repeated", "no_response_discharge_evening"),
        tier=GREEN,
        pod=2,
        history=(answered(1, pain_back=3),),
        missed=True,
    ),
    Case(
        "answering again ends the non-response",
        {"pain_back": 3},
        spares=("no_response_early", "no_response_discharge_evening"),
        pod=2,
        history=(missed(1),),
    ),
    Case(
        "three missed check-ins in a row is amber",
        {},
        ("no_response_repeated",),
        tier=AMBER,
        pod=5,
        history=(answered(2, pain_back=3), missed(3), missed(4)),
        missed=True,
    ),
    Case(
        "two missed in a row is not yet",
        {},
        spares=("no_response_repeated",),
        pod=5,
        history=(missed(3), answered(4, pain_back=3)),
        missed=True,
    ),
    Case("no answers at all is green", {}, tier=GREEN),
    # v2 items
    Case(
        "new loss of bowel control is an emergency",
        {"bowel_control": True},
        ("cauda_equina_bowel",),
        tier=RE,
    ),
    Case(
        "bowel control kept is fine",
        {"bowel_control": False},
        spares=("cauda_equina_bowel",),
        tier=GREEN,
    ),
    Case("hard to wake is an emergency", {"sleepy": "hard_to_wake"}, ("over_sedation",), tier=RE),
    Case(
        "drowsy but easy to wake is amber, not an emergency",
        {"sleepy": "drowsy"},
        ("drowsy",),
        ("over_sedation",),
        AMBER,
    ),
    Case("awake is fine", {"sleepy": "awake"}, spares=("drowsy", "over_sedation"), tier=GREEN),
    Case("nearly fainting is urgent", {"near_faint": True}, ("near_faint",), ("fainted",), RU),
    Case("not nearly fainting is fine", {"near_faint": False}, spares=("near_faint",), tier=GREEN),
    Case(
        "opioid use is recorded, never judged",
        {"opioid_use": "more"},
        tier=GREEN,
    ),
    Case(
        "35.0 °C (confirmed) is urgent: a sign of sepsis",
        {"temperature": 35.0},
        ("temperature_low",),
        tier=RU,
    ),
    Case("35.1 °C is not", {"temperature": 35.1}, spares=("temperature_low",), tier=GREEN),
    # combinations (v2)
    Case(
        "fever 38.0 with back pain 7 is urgent",
        {"temperature": 38.0, "pain_back": 7},
        ("fever_severe_pain", "pain_high"),
        ("fever",),
        RU,
    ),
    Case(
        "fever with leg pain 7 is urgent too",
        {"temperature": 38.0, "pain_leg": 7},
        ("fever_severe_pain",),
        tier=RU,
    ),
    Case(
        "fever with pain 6 is not",
        {"temperature": 38.0, "pain_back": 6, "pain_leg": 6},
        ("fever",),
        ("fever_severe_pain",),
        AMBER,
    ),
    Case(
        "37.9 °C with pain 7 is not",
        {"temperature": 37.9, "pain_back": 7},
        spares=("fever_severe_pain",),
        tier=AMBER,
    ),
    Case(
        "pain 7 with no temperature taken is not",
        {"pain_back": 7},
        spares=("fever_severe_pain",),
        tier=AMBER,
    ),
    Case(
        "fever at this check-in and the previous one that measured it is sustained",
        {"temperature": 38.0},
        ("fever_sustained",),
        ("fever",),
        RU,
        pod=3,
        history=(answered(1, temperature=38.2), answered(2, pain_back=3)),
    ),
    Case(
        "a concern screen's fever counts for sustained fever",
        {"temperature": 38.1},
        ("fever_sustained",),
        tier=RU,
        pod=3,
        history=(concern(2, temperature=38.0),),
    ),
    Case(
        "a fever exactly three days (72 h) earlier counts",
        {"temperature": 38.0},
        ("fever_sustained",),
        pod=3,
        history=(answered(0, temperature=38.0),),
    ),
    Case(
        "a fever four days earlier does not",
        {"temperature": 38.0},
        ("fever_late",),
        ("fever_sustained",),
        RU,
        pod=5,
        history=(answered(1, temperature=38.0),),
    ),
    Case(
        "a normal temperature in between ends the run",
        {"temperature": 38.3},
        ("fever",),
        ("fever_sustained",),
        AMBER,
        pod=3,
        history=(answered(1, temperature=38.4), answered(2, temperature=37.2)),
    ),
    Case(
        "a fall with pain 7 is urgent",
        {"fell": True, "pain_back": 7},
        ("fall_with_signs", "fell", "pain_high"),
        tier=RU,
    ),
    Case(
        "a fall with a weaker leg is urgent (and an emergency for the leg)",
        {"fell": True, "leg_weakness": True},
        ("fall_with_signs", "leg_weakness"),
        tier=RE,
    ),
    Case(
        "a fall with saddle numbness",
        {"fell": True, "saddle_numbness": True},
        ("fall_with_signs",),
    ),
    Case(
        "a fall with difficult urine",
        {"fell": True, "bladder": "difficult"},
        ("fall_with_signs",),
        tier=RU,
    ),
    Case(
        "a fall with rising pain",
        {"fell": True, "pain_leg": 5},
        ("fall_with_signs", "pain_rising"),
        pod=4,
        history=(answered(1, pain_leg=3),),
    ),
    Case(
        "a fall with pain 6, normal urine and no nerve signs is amber",
        {
            "fell": True,
            "pain_back": 6,
            "pain_leg": 6,
            "bladder": "normal",
            "leg_weakness": False,
            "saddle_numbness": False,
        },
        ("fell",),
        ("fall_with_signs",),
        AMBER,
    ),
    Case(
        "pain 7 without a fall is not a fall with signs",
        {"fell": False, "pain_back": 7},
        spares=("fall_with_signs",),
        tier=AMBER,
    ),
    Case(
        "vomiting with no bowel movement for 3 days is urgent",
        {"fluids_down": False, "bowels_days": 3},
        ("vomiting_no_bowels", "fluids_not_kept_down"),
        tier=RU,
    ),
    Case(
        "vomiting with a bowel movement 2 days ago is amber",
        {"fluids_down": False, "bowels_days": 2},
        ("fluids_not_kept_down",),
        ("vomiting_no_bowels",),
        AMBER,
    ),
    Case(
        "3 days without a bowel movement while eating is fine",
        {"fluids_down": True, "bowels_days": 3},
        spares=("vomiting_no_bowels",),
        tier=GREEN,
    ),
    Case(
        "amber findings in three domains are urgent",
        {"pain_back": 7, "dizzy": True, "fell": True, "pain_leg": 2},
        ("amber_domains", "pain_high", "dizzy_standing", "fell"),
        tier=RU,
    ),
    Case(
        "a fever reported by a red rule still counts as the temperature domain",
        {"temperature": 38.6, "dizzy": True, "sleepy": "drowsy"},
        ("amber_domains", "fever_high", "dizzy_standing", "drowsy"),
        ("fever",),
        RU,
    ),
    Case(
        "three pain findings are one domain",
        {"pain_back": 7, "pain_control": "not_controlled", "wound_redness": "mild"},
        ("pain_high", "pain_not_controlled", "wound_redness_mild"),
        ("amber_domains",),
        AMBER,
        pod=3,
        history=(answered(1, pain_back=3),),
    ),
    Case(
        "constipation and vomiting are one domain",
        {"bowels_days": 4, "fluids_down": False, "bladder": "difficult"},
        ("constipation", "fluids_not_kept_down", "bladder_difficult", "vomiting_no_bowels"),
        ("amber_domains",),
        RU,
    ),
    Case(
        "off track does not count as a domain",
        {"walking": "none", "dizzy": True, "fell": True},
        ("off_track", "dizzy_standing", "fell"),
        ("amber_domains",),
        AMBER,
        history=(answered(1, walking="none"),),
    ),
    # the patient's concern
    Case(
        "a concern with nothing else is amber, with the patient's words",
        {"calf": False, "concern_words": "I feel unwell"},
        ("patient_concern",),
        tier=AMBER,
        kind="concern",
    ),
    Case(
        "a concern with a red rule reports that rule only",
        {"calf": True},
        ("dvt_calf",),
        ("patient_concern",),
        RU,
        kind="concern",
    ),
    Case(
        "a concern with an amber rule reports that rule only",
        {"dizzy": True},
        ("dizzy_standing",),
        ("patient_concern",),
        AMBER,
        kind="concern",
    ),
    Case(
        "a scheduled check-in with nothing is no concern",
        {"calf": False},
        spares=("patient_concern",),
        tier=GREEN,
    ),
]


def assess(protocol: Protocol, case: Case):  # type: ignore[no-untyped-def]
    if case.missed:
        assert not case.answers
        return score_missed(protocol, case.pod, case.history, case.kind)
    return score(protocol, case.pod, case.answers, case.history, case.kind)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.says)
def test_clinical_case(spine: Protocol, case: Case) -> None:
    assessment = assess(spine, case)
    fired = {finding.rule for finding in assessment.findings}
    assert set(case.fires) <= fired, f"expected {case.fires} among {fired}"
    assert not set(case.spares) & fired, f"{set(case.spares) & fired} fired"
    if case.tier is not None:
        assert assessment.tier is case.tier


def test_every_rule_has_a_case_that_fires_it_and_a_near_miss(spine: Protocol) -> None:
    rules = {rule.id for rule in spine.rules}
    assert rules - {rule for case in CASES for rule in case.fires} == set()
    assert rules - {rule for case in CASES for rule in case.spares} == set()


def test_the_tier_is_the_highest_of_all_findings_and_every_finding_is_reported(
    spine: Protocol,
) -> None:
    assessment = score(
        spine, 5, {"leg_weakness": True, "calf": True, "fell": True, "temperature": 38.1}
    )
    assert assessment.tier is RE
    # By tier, then in the protocol's order.
    assert [f.rule for f in assessment.findings] == [
        "leg_weakness",
        "dvt_calf",
        "fever_late",
        "fall_with_signs",
        "fell",
    ]


def test_a_finding_names_the_answered_items_and_the_reason_in_every_language(
    spine: Protocol,
) -> None:
    (finding,) = score(spine, 2, {"pain_leg": 7, "walking": "in_room"}).findings
    assert finding.rule == "pain_high"
    assert finding.items == ("pain_leg",)
    assert (finding.answers, finding.pod, finding.checkin_id) == ({"pain_leg": 7}, 2, None)
    assert finding.reason["en"] == "Back or leg pain 7/10 or more"
    assert finding.reason["es"].startswith("Dolor de espalda o de pierna")


def test_answers_that_are_not_valid_never_fire_and_never_raise(spine: Protocol) -> None:
    nonsense = {
        "temperature": "hot",
        "pain_back": True,
        "bladder": 3,
        "walking": "far",
        "saddle_numbness": "yes",
        "wound_fluid": None,
        "unknown_item": 1,
    }
    assert score(spine, 5, nonsense).tier is GREEN  # type: ignore[arg-type]
