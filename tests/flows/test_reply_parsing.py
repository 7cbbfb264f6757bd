"""What a patient may press or type, and what gets a polite re-ask (see flows/replies.py)."""

from __future__ import annotations

import pytest

from flows.replies import Accepted, Photo, ReAsk, Skipped, parse_reply
from flows.schema import Protocol

ACCEPTED = [
    # item, reply, value
    ("temperature", "38.4", 38.4),
    ("temperature", "38,4", 38.4),
    ("temperature", "38.4 °C", 38.4),
    ("temperature", "38.4C", 38.4),
    ("temperature", "101.3 F", 38.5),
    ("temperature", "101.3", 38.5),
    ("temperature", "100.4 °F", 38.0),
    ("temperature", "98,6", 37.0),
    ("temperature", "37", 37.0),
    ("pain_back", "7/10", 7),
    ("pain_back", "7", 7),
    ("pain_back", " 0 ", 0),
    ("pain_leg", "10 / 10", 10),
    ("bowels_days", "3", 3),
    ("bowels_days", "3 days", 3),
    ("bowels_days", "2 días", 2),
    ("saddle_numbness", "yes", True),
    ("saddle_numbness", "Y", True),
    ("saddle_numbness", "Sí", True),
    ("saddle_numbness", "si", True),
    ("saddle_numbness", "no", False),
    ("saddle_numbness", "N", False),
    ("saddle_numbness", "No.", False),
    ("fluids_down", "yes", True),
    ("bladder", "cannot_pass", "cannot_pass"),
    ("bladder", "3", "cannot_pass"),
    ("bladder", "Normal", "normal"),
    ("bladder", "se me escapa (pérdida de control nueva)", "leaking"),
    ("walking", "in_room", "in_room"),
    ("walking", "1", "none"),
    ("walking", "Around the room", "in_room"),
    ("walking", "por la habitacion", "in_room"),
]

REASKED = [
    ("temperature", "abc"),
    ("temperature", "451"),
    ("temperature", "45"),
    ("temperature", "29.9"),
    ("temperature", "38 degrees"),
    ("temperature", "38 kg"),
    ("temperature", "120 F"),
    ("pain_back", "11"),
    ("pain_back", "-1"),
    ("pain_back", "7.5"),
    ("pain_back", "seven"),
    ("pain_back", "7/8"),
    ("bowels_days", "31"),
    ("bowels_days", "3/10"),
    ("saddle_numbness", "maybe"),
    ("bladder", "5"),
    ("bladder", "fine"),
    ("pain_back", "skip"),
    ("wound_photo", "here it is"),
]


@pytest.mark.parametrize(("item_id", "reply", "value"), ACCEPTED)
def test_a_reply_is_read_as(miss: Protocol, item_id: str, reply: str, value: object) -> None:
    parsed = parse_reply(miss.item(item_id), reply, "en")
    assert parsed == Accepted(value)
    assert type(parsed.value) is type(value)  # type: ignore[union-attr]


@pytest.mark.parametrize(("item_id", "reply"), REASKED)
def test_a_reply_that_cannot_be_read_is_asked_again(
    miss: Protocol, item_id: str, reply: str
) -> None:
    assert isinstance(parse_reply(miss.item(item_id), reply, "en"), ReAsk)


@pytest.mark.parametrize("word", ["skip", "Skip", "omitir", "-"])
def test_a_skippable_item_can_be_skipped_in_either_language(miss: Protocol, word: str) -> None:
    assert parse_reply(miss.item("temperature"), word, "es") == Skipped()


def test_the_temperature_hint_gives_the_range_and_the_units_in_the_patients_language(
    miss: Protocol,
) -> None:
    english = parse_reply(miss.item("temperature"), "451", "en")
    spanish = parse_reply(miss.item("temperature"), "451", "es")
    assert english == ReAsk(
        "Please send a number from 30.0 to 43.0 °C. °F also accepted. You can also send “skip”."
    )
    assert spanish == ReAsk(
        "Por favor, envíe un número del 30,0 al 43,0 °C. También se acepta en °F. "
        "También puede enviar «omitir»."
    )


@pytest.mark.parametrize(
    ("item_id", "hint"),
    [
        ("pain_back", "Please send a whole number from 0 to 10."),
        ("bowels_days", "Please send a whole number from 0 to 30."),
        ("saddle_numbness", "Please answer yes or no."),
        ("bladder", "Please choose one of the buttons, or send its number."),
    ],
)
def test_each_kind_of_question_has_its_hint(miss: Protocol, item_id: str, hint: str) -> None:
    assert parse_reply(miss.item(item_id), "???", "en") == ReAsk(hint)


def test_a_photo_item_takes_a_photo(miss: Protocol) -> None:
    item = miss.item("wound_photo")
    assert parse_reply(item, Photo("file-123"), "en") == Accepted("file-123")
    assert parse_reply(item, "text", "en") == ReAsk(
        "Please send a photo. You can also send “skip”."
    )


def test_a_photo_is_no_answer_to_other_questions(miss: Protocol) -> None:
    assert parse_reply(miss.item("pain_back"), Photo("file-123"), "en") == ReAsk(
        "Please send a whole number from 0 to 10."
    )


def test_a_text_question_wants_words_not_a_photo(hernia: Protocol) -> None:
    item = hernia.item("pain_worse_with")
    assert parse_reply(item, Photo("p"), "en") == ReAsk(
        "Please type your answer. You can also send “skip”."
    )
    assert parse_reply(item, "   ", "en") == ReAsk(
        "Please type your answer. You can also send “skip”."
    )


def test_a_number_without_conversions_names_only_its_own_unit(hernia: Protocol) -> None:
    item = hernia.item("weight").model_copy(update={"conversions": (), "skippable": False})
    assert parse_reply(item, "170 lb", "en") == ReAsk("Please send a number from 30.0 to 150.0 kg.")
    assert parse_reply(item, "70,5 kg", "en") == Accepted(70.5)
