"""What the patient reads: advice per tier with the site's emergency number, and notes."""

from __future__ import annotations

import pytest

from flows.advice import advice_text, education_texts
from flows.schema import Protocol
from flows.tiers import Tier


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
