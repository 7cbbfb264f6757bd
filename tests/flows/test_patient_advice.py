"""What the patient reads: advice per tier with the site's emergency number, and notes."""

from __future__ import annotations

import pytest

from flows.advice import advice_text, education_texts, reply_texts
from flows.schema import Protocol
from flows.tiers import Tier
from flows.triage import score


def test_emergency_advice_says_to_call_the_sites_number_now(spine: Protocol) -> None:
    assert advice_text(spine, Tier.RED_EMERGENCY, "en", "112") == (
        "Call emergency services now (112), do not wait for us."
    )
    assert advice_text(spine, Tier.RED_EMERGENCY, "es", " 112 ") == (
        "Llame ahora a emergencias (112), no espere a que le llamemos."
    )


@pytest.mark.parametrize(
    ("tier", "start"),
    [
        (
            Tier.RED_URGENT,
            "A nurse will call you within the hour. If you get worse, call emergency services "
            "(911).",
        ),
        (Tier.AMBER, "Thank you. The team will contact you within a day."),
        (Tier.GREEN, "Thank you, everything looks on track."),
    ],
)
def test_each_tier_has_its_advice(miss: Protocol, tier: Tier, start: str) -> None:
    assert advice_text(miss, tier, "en", "911").startswith(start)


def test_advice_cannot_be_rendered_without_an_emergency_number(miss: Protocol) -> None:
    with pytest.raises(ValueError, match="emergency number is empty"):
        advice_text(miss, Tier.RED_URGENT, "en", " ")


def test_notes_follow_the_pathways_milestones(miss: Protocol, open_lumbar: Protocol) -> None:
    assert education_texts(miss, 2, "en") == (
        "Your recovery plan's goal for today: walking around your home.",
    )
    assert education_texts(open_lumbar, 2, "en") == ()
    assert education_texts(open_lumbar, 3, "es") == (
        "El objetivo de su plan de recuperación para hoy: caminar por la casa.",
    )


def test_an_amber_reply_gives_each_findings_self_care_line_then_the_safety_net(
    spine: Protocol,
) -> None:
    assessment = score(spine, 5, {"bowels_days": 5, "sleepy": "drowsy"})
    rules = [f.rule for f in assessment.findings]
    assert rules == ["drowsy", "constipation"]
    advice, drowsy, constipation, net = reply_texts(spine, assessment.tier, rules, "en", "112")
    assert advice == "Thank you. The team will contact you within a day."
    assert drowsy.startswith("Do not drive, and have someone nearby.")
    assert constipation == (
        "Drink plenty of fluids, walk a little more, and take the laxative on your discharge sheet."
    )
    assert net.startswith("Call 112 now, without waiting for us, if you get chest pain")
    spanish = reply_texts(spine, assessment.tier, rules, "es", "112")
    assert spanish[-1].startswith("Llame ahora al 112, sin esperarnos")


def test_a_red_urgent_reply_ends_with_the_safety_net_and_a_green_one_does_not(
    miss: Protocol,
) -> None:
    urgent = reply_texts(miss, Tier.RED_URGENT, ["dvt_calf", "fell", "fell"], "en", "911")
    assert urgent[0].startswith("A nurse will call you within the hour.")
    assert urgent[1].startswith("Rest. If your pain grows")  # once, however often it is named
    assert urgent[-1].startswith("Call 911 now")
    assert len(urgent) == 3
    assert reply_texts(miss, Tier.GREEN, [], "en", "911") == (
        "Thank you, everything looks on track. Keep it up!",
    )
    emergency = reply_texts(miss, Tier.RED_EMERGENCY, ["fainted"], "en", "911")
    assert emergency == ("Call emergency services now (911), do not wait for us.",)


def test_findings_carry_their_values_with_units(miss: Protocol) -> None:
    answers = {"temperature": 38.0, "pain_back": 7, "bowels_days": 4, "fluids_down": False}
    findings = {f.rule: f for f in score(miss, 2, answers).findings}
    assert findings["fever_severe_pain"].values == {"temperature": "38.0 °C", "pain_back": "7/10"}
    assert findings["constipation"].values == {"bowels_days": "4 days"}
    assert findings["vomiting_no_bowels"].values == {"fluids_down": "no", "bowels_days": "4 days"}
