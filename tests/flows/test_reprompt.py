"""An acknowledged alert left unresolved is asked about again after the contact target."""

from datetime import timedelta

from flows.escalation import REPROMPT_WITHOUT_CONTACT_TARGET, reprompt_interval


def test_the_contact_target_sets_when_the_team_is_asked_again() -> None:
    assert reprompt_interval(60) == timedelta(hours=1)
    assert reprompt_interval(1440) == timedelta(hours=24)


def test_a_tier_without_a_contact_target_uses_the_project_default() -> None:
    assert reprompt_interval(None) == REPROMPT_WITHOUT_CONTACT_TARGET == timedelta(hours=1)
