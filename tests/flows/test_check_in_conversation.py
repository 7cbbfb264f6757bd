"""The check-in as a conversation: one question at a time, red flags acted on at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from flows import conversation
from flows.agenda import CheckInKind, agenda, members
from flows.conversation import CheckInState, next_question, start, take_reply
from flows.replies import Photo
from flows.schema import Protocol
from flows.tiers import Tier
from flows.triage import score


def play(
    protocol: Protocol, state: CheckInState, replies: Sequence[str | Photo], lang: str = "en"
) -> CheckInState:
    for reply in replies:
        result = take_reply(protocol, state, reply, lang)
        assert result.reask is None, (reply, result.reask)
        state = result.state
    return state


def asked(protocol: Protocol, state: CheckInState) -> str | None:
    question = next_question(protocol, state, "en")
    return None if question is None else question.id


def test_a_check_in_opens_with_the_red_flags_as_one_question(miss: Protocol) -> None:
    question = next_question(miss, start(miss, 3, CheckInKind.SCHEDULED), "en")
    assert question is not None
    assert (question.id, question.type) == ("red_flags", "group")
    assert question.text == "Do you have any of these now?"
    assert question.statements[:3] == (
        "new numbness around your bottom, genitals or inner thighs",
        "new loss of control of your bowels, or passing a stool without feeling it (not loose "
        "stools after a laxative)",
        "a leg weaker, or more numb, than when you left hospital",  # the first check-in
    )
    assert len(question.statements) == 7
    assert [(c.id, c.label) for c in question.choices] == [
        ("none", "None of these"),
        ("some", "Yes, one or more"),
    ]


NO_RED_FLAGS = {
    "saddle_numbness": False,
    "bowel_control": False,
    "leg_weakness": False,
    "chest_breath": False,
    "fainted": False,
    "near_faint": False,
    "calf": False,
}


def test_leg_weakness_names_the_day_of_the_last_check_in(miss: Protocol) -> None:
    state = start(miss, 5, CheckInKind.SCHEDULED, last_check_in=date(2026, 12, 5))
    group = next_question(miss, state, "en")
    assert group is not None
    assert group.statements[2] == (
        "a leg weaker, or more numb, than at your last check-in (Saturday 5 December)"
    )
    spanish = next_question(miss, state, "es")
    assert spanish is not None
    assert spanish.statements[2] == (
        "una pierna más débil o más dormida que en su último control (sábado 5 de diciembre)"
    )
    opened = play(miss, state, ["some", "no", "no"])
    question = next_question(miss, opened, "en")
    assert question is not None and question.id == "leg_weakness"
    assert question.text == (
        "Is either leg weaker, or more numb, than at your last check-in (Saturday 5 December)?"
    )
    assert CheckInState.from_json(opened.to_json()) == opened


@pytest.mark.parametrize("reply", ["none", "None of these", "ninguno de estos", "No"])
def test_none_of_these_gives_each_red_flag_its_reassuring_answer(
    miss: Protocol, reply: str
) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), [reply])
    assert state.answers == NO_RED_FLAGS
    assert asked(miss, state) == "bladder"


def test_none_of_these_on_warning_signs_answers_them_all_reassuringly(miss: Protocol) -> None:
    replies = ["none", "normal", "dry", "3", "2", "controlled", "indoors", "skip", "none",
               "none", "awake", "none"]  # fmt: skip
    state = play(miss, start(miss, 2, CheckInKind.SCHEDULED), replies)
    assert {item: state.answers[item] for item in ("headache_upright", "confusion", "fell")} == {
        "headache_upright": False,
        "confusion": False,
        "fell": False,
    }
    assert asked(miss, state) == "fluids_down"


def test_yes_one_or_more_asks_each_red_flag_in_turn(miss: Protocol) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["some"])
    assert asked(miss, state) == "saddle_numbness"
    state = play(miss, state, ["no"])
    assert asked(miss, state) == "bowel_control"


def test_saddle_numbness_is_an_emergency_the_moment_it_is_answered(miss: Protocol) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["some"])
    result = take_reply(miss, state, "yes", "en")
    assert result.assessment.tier is Tier.RED_EMERGENCY
    assert [finding.rule for finding in result.new_findings] == ["cauda_equina_saddle"]
    assert result.next_question is not None  # the check-in goes on; the bot shows advice first


def test_a_finding_is_new_only_once(miss: Protocol) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["some", "yes"])
    result = take_reply(miss, state, "no", "en")
    assert result.new_findings == ()
    assert result.assessment.tier is Tier.RED_EMERGENCY


def test_a_reply_that_cannot_be_read_is_asked_again_without_changing_anything(
    miss: Protocol,
) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["none", "normal", "dry"])
    result = take_reply(miss, state, "a lot", "en")
    assert result.state == state
    assert result.reask == "Please send a whole number from 0 to 10."
    assert result.next_question is not None and result.next_question.id == "pain_back"


def test_an_unreadable_reply_to_a_group_is_asked_again(miss: Protocol) -> None:
    result = take_reply(miss, start(miss, 3, CheckInKind.SCHEDULED), "perhaps", "es")
    assert result.reask == "Por favor, elija uno de los botones o envíe su número."


def test_a_whole_check_in_in_spanish_completes(miss: Protocol) -> None:
    replies = ["ninguno de estos", "normal", "seco", "3", "2", "sí, es soportable", "3",
               "36,8", "no", "no", "omitir", "1", "no", "sí", "1", "menos"]  # fmt: skip
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), replies, "es")
    assert next_question(miss, state, "es") is None
    assert state.skipped == {"wound_photo"}
    assert state.answers["temperature"] == 36.8
    assert state.answers["walking"] == "indoors"
    assert (state.answers["sleepy"], state.answers["opioid_use"]) == ("awake", "less")
    result = take_reply(miss, state, "anything", "es")
    assert result.state == state and result.next_question is None


def test_a_skipped_question_is_not_asked_again(miss: Protocol) -> None:
    state = CheckInState(3, CheckInKind.SCHEDULED, skipped=frozenset({"temperature"}))
    state = play(miss, state, ["none", "normal", "dry", "3", "2", "controlled", "indoors"])
    assert asked(miss, state) == "wound_fluid"


def test_a_skip_button_is_offered_only_for_skippable_questions(miss: Protocol) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["none", "normal", "dry"])
    pain = next_question(miss, state, "en")
    assert pain is not None and pain.skip_label is None
    assert [c.id for c in pain.choices] == [str(n) for n in range(11)]
    state = play(miss, state, ["3", "2", "controlled", "indoors"])
    temperature = next_question(miss, state, "es")
    assert temperature is not None and temperature.skip_label == "Omitir"
    assert temperature.choices == ()


def test_yes_no_questions_have_yes_and_no_buttons(miss: Protocol) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["some"])
    question = next_question(miss, state, "es")
    assert question is not None
    assert [(c.id, c.label) for c in question.choices] == [("yes", "Sí"), ("no", "No")]


def test_a_concern_runs_the_red_rule_screen_and_is_never_on_track(miss: Protocol) -> None:
    replies = ["none", "normal", "dry", "2", "1", "skip", "none", "none", "awake", "none"]
    state = play(miss, start(miss, 12, CheckInKind.CONCERN), replies)
    assert next_question(miss, state, "en") is None
    assert len(state.answers) == 17  # the 18 of the screen, temperature skipped
    # With no red or amber sign, the team still gets a card, with the patient's words.
    words = {**state.answers, "concern_words": "I feel strange"}
    (finding,) = score(miss, 12, words, (), "concern").findings
    assert (finding.rule, finding.tier) == ("patient_concern", Tier.AMBER)
    assert finding.answers == {"concern_words": "I feel strange"}


# Each item of the concern screen with an answer that must reach a person, and its tier.
CONCERN_SIGNS = [
    ("saddle_numbness", True, Tier.RED_EMERGENCY),
    ("bowel_control", True, Tier.RED_EMERGENCY),
    ("bladder", "leaking", Tier.RED_EMERGENCY),
    ("bladder", "cannot_pass", Tier.RED_URGENT),
    ("leg_weakness", True, Tier.RED_EMERGENCY),
    ("chest_breath", True, Tier.RED_EMERGENCY),
    ("fainted", True, Tier.RED_EMERGENCY),
    ("near_faint", True, Tier.RED_URGENT),
    ("calf", True, Tier.RED_URGENT),
    ("wound_bleeding", "soaked", Tier.RED_URGENT),
    ("wound_fluid", "clear_watery", Tier.RED_URGENT),
    ("wound_redness", "spreading", Tier.RED_URGENT),
    ("headache_upright", True, Tier.RED_URGENT),
    ("temperature", 38.5, Tier.RED_URGENT),
    ("temperature", 35.0, Tier.RED_URGENT),
    ("sleepy", "hard_to_wake", Tier.RED_EMERGENCY),
    ("confusion", True, Tier.RED_URGENT),
    ("fell", True, Tier.AMBER),
    ("pain_back", 7, Tier.AMBER),
    ("pain_leg", 7, Tier.AMBER),
]


def test_every_item_of_the_concern_screen_is_in_the_table_above(miss: Protocol) -> None:
    assert {item for item, _, _ in CONCERN_SIGNS} == members(miss, miss.schedule.concern)


@pytest.mark.parametrize(("item", "value", "tier"), CONCERN_SIGNS)
def test_each_sign_of_the_concern_screen_gives_its_own_tier_not_the_concern_card(
    miss: Protocol, item: str, value: object, tier: Tier
) -> None:
    assessment = score(miss, 12, {item: value}, (), "concern")
    assert assessment.tier is tier
    assert "patient_concern" not in [f.rule for f in assessment.findings]


def test_a_concern_with_a_red_sign_is_acted_on_at_once(miss: Protocol) -> None:
    state = play(miss, start(miss, 12, CheckInKind.CONCERN), ["none", "normal"])
    assert asked(miss, state) == "wound_bleeding"
    result = take_reply(miss, state, "soaked", "en")
    assert result.assessment.tier is Tier.RED_URGENT
    assert [f.rule for f in result.assessment.findings] == ["wound_bleeding"]


def test_a_low_temperature_is_measured_again_and_the_second_reading_counts(
    miss: Protocol,
) -> None:
    state = CheckInState(12, CheckInKind.CONCERN, {item: False for item in NO_RED_FLAGS})
    state = play(miss, state, ["normal", "dry", "2", "1"])
    assert asked(miss, state) == "temperature"
    result = take_reply(miss, state, "35.0", "en")
    assert result.reask is None and "temperature" not in result.state.answers
    assert result.new_findings == ()  # not yet: a first low reading may be a bad measurement
    again = result.next_question
    assert again is not None and again.id == "temperature"
    assert again.text == (
        "Your temperature is low. Please measure it again and send the new reading, in °C."
    )
    assert CheckInState.from_json(result.state.to_json()) == result.state
    low = take_reply(miss, result.state, "34.8", "en")
    assert low.state.answers["temperature"] == 34.8
    assert [f.rule for f in low.new_findings] == ["temperature_low"]
    normal = take_reply(miss, result.state, "36.4", "en")
    assert normal.state.answers["temperature"] == 36.4
    assert "temperature_low" not in {f.rule for f in normal.assessment.findings}


def test_a_temperature_above_35_is_taken_at_once(miss: Protocol) -> None:
    state = CheckInState(12, CheckInKind.CONCERN, {item: False for item in NO_RED_FLAGS})
    state = play(miss, state, ["normal", "dry", "2", "1", "35.1"])
    assert state.answers["temperature"] == 35.1


def test_a_group_with_one_question_left_asks_it_alone(miss: Protocol) -> None:
    answered = {item: False for item in NO_RED_FLAGS if item != "calf"}
    state = CheckInState(12, CheckInKind.CONCERN, answered)
    question = next_question(miss, state, "en")
    assert question is not None and (question.id, question.type) == ("calf", "yes_no")


def test_the_state_survives_a_round_trip_through_json(miss: Protocol) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["some", "no"])
    state = CheckInState(**{**state.__dict__, "skipped": frozenset({"temperature"})})
    assert CheckInState.from_json(state.to_json()) == state


def test_a_question_with_ask_if_waits_for_the_answer_it_depends_on(hernia: Protocol) -> None:
    state = start(hernia, 1, CheckInKind.SCHEDULED)
    assert asked(hernia, state) == "groin_pain"
    assert asked(hernia, play(hernia, state, ["3"])) == "warning"
    assert asked(hernia, play(hernia, state, ["4"])) == "pain_worse_with"
    # Not answered (here: skipped) means we cannot tell, so the question is asked.
    skipped = CheckInState(1, CheckInKind.SCHEDULED, skipped=frozenset({"groin_pain"}))
    assert asked(hernia, skipped) == "pain_worse_with"


def test_text_photo_and_converted_answers(hernia: Protocol) -> None:
    replies = ["5", "  coughing  ", "none", "yes", "house", "170 lb"]
    state = play(hernia, start(hernia, 7, CheckInKind.SCHEDULED), replies)
    assert state.answers["pain_worse_with"] == "coughing"
    assert state.answers["weight"] == 77.1
    state = play(hernia, state, [Photo("photo-1")])
    assert state.answers["wound_picture"] == "photo-1"
    assert next_question(hernia, state, "en") is None


def test_a_reply_is_scored_once(miss: Protocol, monkeypatch: pytest.MonkeyPatch) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["some"])
    scored = []
    monkeypatch.setattr(conversation, "score", lambda *args: scored.append(args) or score(*args))
    result = take_reply(miss, state, "yes", "en")
    assert len(scored) == 1
    assert [finding.rule for finding in result.new_findings] == ["cauda_equina_saddle"]


def test_a_state_stored_before_it_kept_its_rules_finds_what_is_new_all_the_same(
    miss: Protocol,
) -> None:
    state = play(miss, start(miss, 3, CheckInKind.SCHEDULED), ["some", "yes"])
    stored = {key: value for key, value in state.to_json().items() if key != "fired"}
    assert CheckInState.from_json(stored).to_json() == stored
    result = take_reply(miss, CheckInState.from_json(stored), "no", "en")
    assert result.new_findings == ()
    assert result.state.fired == {"cauda_equina_saddle"}


def test_an_extra_check_in_asks_what_the_days_scheduled_one_asks(miss: Protocol) -> None:
    for pod in (1, 3, 5):
        assert agenda(miss, pod, CheckInKind.EXTRA) == agenda(miss, pod, CheckInKind.SCHEDULED)
