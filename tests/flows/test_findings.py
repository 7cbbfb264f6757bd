"""A finding as an alert keeps it: JSON that reads back the same, and the older shapes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flows.findings import Finding
from flows.tiers import Tier

answers = st.dictionaries(
    st.text(min_size=1),
    st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
)
findings = st.builds(
    Finding,
    rule=st.text(min_size=1),
    tier=st.sampled_from(Tier),
    items=st.lists(st.text(min_size=1)).map(tuple),
    reason=st.dictionaries(st.sampled_from(["en", "es"]), st.text()),
    answers=answers,
    pod=st.none() | st.integers(min_value=0, max_value=365),
    checkin_id=st.none() | st.integers(min_value=1),
)


@given(findings)
def test_a_finding_reads_back_from_its_json_unchanged(finding: Finding) -> None:
    assert Finding.from_json(finding.to_json()) == finding


def test_a_finding_of_the_follow_up_stored_before_findings_were_typed_still_reads() -> None:
    stored = {"rule": "declined", "tier": "amber", "items": [], "reason": {"en": "Declined"}}
    assert Finding.from_json(stored) == Finding("declined", Tier.AMBER, (), {"en": "Declined"})


def test_a_finding_of_a_check_in_stored_before_findings_were_typed_still_reads() -> None:
    stored = {
        "rule": "wound_bleeding",
        "tier": "red_urgent",
        "items": ["wound_bleeding"],
        "reason": {"en": "Dressing soaked"},
        "answers": {"wound_bleeding": "soaked"},
        "checkin_id": 7,
        "pod": 3,
    }
    finding = Finding.from_json(stored)
    assert finding.tier is Tier.RED_URGENT
    assert (finding.items, finding.answers) == (("wound_bleeding",), {"wound_bleeding": "soaked"})
    assert (finding.pod, finding.checkin_id) == (3, 7)
