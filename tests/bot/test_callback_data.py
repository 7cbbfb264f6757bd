"""Button data: every press comes back as it was sent, fits a button, and anything else is
refused; buttons written before versions (questions already sent, cards already posted)
still work after an upgrade."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import flows.protocols
from bot.i18n import t
from bot.sandbox import Person
from bot.telegram.callbacks import (
    ID_MAX,
    MAX_BYTES,
    SKIP,
    VERSION,
    Acknowledge,
    AnswerChoice,
    ButtonDataError,
    ChooseLanguage,
    Consent,
    Pause,
    Press,
    Resolve,
    ResolveGraded,
    ResolveWith,
    Setting,
    SettingsChoice,
    decode,
    encode,
)
from db.models import Alert, AlertStatus, Episode, EpisodeStatus
from flows import parse_protocol
from flows.checks.items import BUTTON_ID_MAX
from flows.conversation import NONE_OF_THESE, SOME_OF_THESE
from tests.fixtures.journey import SURGERY, Journey, buttons, local
from tests.fuzzing.buttons import any_presses, identifiers, legacy, mangled, words, written
from tests.fuzzing.texts import texts


@given(any_presses())
def test_every_press_comes_back_as_it_was_sent(press: Press) -> None:
    assert decode(encode(press)) == press


@given(any_presses())
def test_every_press_fits_a_button_and_says_its_version(press: Press) -> None:
    data = encode(press)
    assert len(data.encode()) <= MAX_BYTES
    assert data.startswith(VERSION) and data[len(VERSION)].isalpha()


@given(any_presses().filter(lambda p: not (isinstance(p, AnswerChoice) and p.choice == "skip")))
def test_every_press_written_before_versions_still_decodes(press: Press) -> None:
    # An option called "skip" was the skip button then, as it is in the reply it makes.
    assert decode(legacy(press)) == press


@given(st.integers(0, ID_MAX), identifiers(), words() | st.just(SKIP))
def test_an_answer_with_ids_a_protocol_accepts_always_fits(
    checkin: int, question: str, choice: Any
) -> None:
    assert len(encode(AnswerChoice(checkin, question, choice))) <= MAX_BYTES


def test_the_longest_answer_the_shipped_protocols_can_ask_fits() -> None:
    questions, choices = {NONE_OF_THESE, SOME_OF_THESE, "yes", "no", "10"}, set()
    folder = Path(flows.protocols.__file__).parent
    for name in flows.protocols.shipped_file_names():
        protocol = parse_protocol((folder / name).read_text("utf-8"), name)
        questions |= {item.id for item in protocol.items} | {g.id for g in protocol.groups}
        choices |= {o.id for i in protocol.items for o in getattr(i, "options", ())}
    longest = AnswerChoice(ID_MAX, max(questions, key=len), max(choices, key=len))
    assert len(encode(longest)) <= MAX_BYTES
    assert max(map(len, questions | choices)) <= BUTTON_ID_MAX


def test_a_press_too_long_for_a_button_is_refused_with_a_clear_error() -> None:
    press = AnswerChoice(ID_MAX, "q" * 30, "c" * 30)
    with pytest.raises(ButtonDataError, match="needs 75 bytes of button data; Telegram allows 64"):
        encode(press)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: AnswerChoice(1, "Pain", "3"), "question id 'Pain'"),
        (lambda: AnswerChoice(1, "pain", "3:4"), "choice '3:4'"),
        (lambda: AnswerChoice(1, "pain", ""), "choice ''"),
        (lambda: AnswerChoice(-1, "pain", "3"), "check-in id -1"),
        (lambda: Acknowledge(ID_MAX + 1), "alert id 2147483648"),
        (lambda: Acknowledge(True), "alert id True"),
        (lambda: Consent(1, "yes"), "consent 'yes'"),  # type: ignore[arg-type]
        (lambda: ChooseLanguage("english"), "language 'english'"),
        (lambda: SettingsChoice("ok"), "setting 'ok'"),  # type: ignore[arg-type]
        (lambda: ResolveGraded(1, "readmitted", "IV b"), "grade 'IV b'"),
    ],
)
def test_a_field_no_button_can_carry_is_refused_when_the_press_is_made(
    make: Any, says: str
) -> None:
    with pytest.raises(ButtonDataError, match=f"^{says} cannot travel on a button$"):
        make()


# As the bot wrote them before versions, character for character.
BEFORE_VERSIONS = [
    ("a:42:pain_back:3", AnswerChoice(42, "pain_back", "3")),
    ("a:42:pain_back:10", AnswerChoice(42, "pain_back", "10")),
    ("a:42:red_flags:none", AnswerChoice(42, "red_flags", "none")),
    ("a:42:fell:yes", AnswerChoice(42, "fell", "yes")),
    ("a:42:wound_bleeding:soaked", AnswerChoice(42, "wound_bleeding", "soaked")),
    ("a:42:wound_photo:skip", AnswerChoice(42, "wound_photo", SKIP)),
    ("c:7:yes", Consent(7, agreed=True)),
    ("c:7:no", Consent(7, agreed=False)),
    ("s:ok", SettingsChoice(Setting.OK)),
    ("s:language", SettingsChoice(Setting.LANGUAGE)),
    ("s:timezone", SettingsChoice(Setting.TIMEZONE)),
    ("l:es", ChooseLanguage("es")),
    ("p:yes", Pause(confirmed=True)),
    ("p:no", Pause(confirmed=False)),
    ("k:12", Acknowledge(12)),
    ("r:12", Resolve(12)),
    ("o:12:advice_given", ResolveWith(12, "advice_given")),
    ("g:12:readmitted:IVb", ResolveGraded(12, "readmitted", "IVb")),
    ("g:12:clinic_visit:none", ResolveGraded(12, "clinic_visit", "none")),
]


@pytest.mark.parametrize(("data", "press"), BEFORE_VERSIONS, ids=[d for d, _ in BEFORE_VERSIONS])
def test_a_button_written_before_versions_is_the_same_press(data: str, press: Press) -> None:
    assert decode(data) == press


@pytest.mark.parametrize(
    "data",
    [
        *("k:²", "k:١", "k:１", "k:𝟏", "k:01", "k:+1", "k: 1", "k:1 ", "k:1.0", "k:-1"),
        *("k:9999999999", "k:2147483648", "1k:01", "k:0000000001", "r:²", "o:١:advice"),
        *("", ":", "1", "1k", "k", "k:", "1k:", "K:1", "kk:1", "2k:1", "01k:1", "1:k:1"),
        *("k:1:", "k:1:x", "1k:1:x", "o:1", "g:1:readmitted", "a:1:pain_back", "a:1::3"),
        *("a:x:pain_back:3", "a:1:Pain:3", "a:1:pain back:3", "a:1:pain_back:3:4"),
        *("c:1:maybe", "c:1:y", "1c:1:yes", "p:maybe", "1p:yes", "s:foo", "s:OK", "l:", "l:EN"),
        "a:1:pain_back:" + "9" * 60,
    ],
)
def test_data_no_button_carries_is_refused(data: str) -> None:
    assert decode(data) is None


def refused_or_exactly_a_buttons(data: str) -> bool:
    press = decode(data)
    return press is None or data in (encode(press), legacy(press))


@given(texts() | st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape")))
@example("\ud800")
def test_any_text_is_refused_never_raising(data: str) -> None:
    assert refused_or_exactly_a_buttons(data), (data, decode(data))


@given(mangled(any_presses(), texts() | words() | st.sampled_from(["", "1", "0", "-", "skip"])))
def test_a_real_buttons_data_changed_is_refused_or_exactly_another_buttons(data: str) -> None:
    """Decoding is canonical: what it accepts is exactly what a button carries, now or
    before versions, so no second spelling of a press slips through."""
    assert refused_or_exactly_a_buttons(data), (data, decode(data))


@given(written(any_presses()), st.text(min_size=1, max_size=3))
def test_more_after_a_buttons_data_is_refused(data: str, more: str) -> None:
    assert decode(data + ":" + more) is None


# After an upgrade: buttons the bot wrote before versions, pressed in the running bot.


def _press_old_button(journey: Journey, who: Person, message: dict[str, Any], data: str) -> None:
    """A press of a button as the bot wrote it before versions, on a message it sent."""
    query = {"id": f"old-{data}", "from": who.as_user(), "chat_instance": "1", "data": data}
    journey.sandbox.send_raw_update({"callback_query": {**query, "message": message}})


async def test_a_consent_question_sent_before_versions_is_still_answered(
    journey: Journey,
) -> None:
    enrolment = await journey.enrol()
    maria = journey.sandbox.user("Maria")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    _press_old_button(journey, maria, journey.last(maria), f"c:{enrolment.episode_id}:yes")
    await journey.settle()
    async with journey.runtime.sessions() as session:
        episode = await session.get_one(Episode, enrolment.episode_id)
    assert episode.status is EpisodeStatus.ACTIVE


async def test_a_question_sent_before_versions_is_still_answered(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(local(SURGERY + timedelta(days=1), 9, "Europe/Madrid"))
    question = journey.last(maria)
    asked = decode(buttons(question)[0][1])
    assert isinstance(asked, AnswerChoice) and asked.question_id == "red_flags"
    _press_old_button(journey, maria, question, f"a:{asked.checkin_id}:red_flags:none")
    await journey.settle()
    assert journey.question_id(maria) == "bladder"


async def test_an_alert_card_posted_before_versions_is_still_acknowledged(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    await journey.at(local(SURGERY + timedelta(days=1), 9, "Europe/Madrid"))
    for choice in ("none", "normal", "soaked"):  # red_urgent: a card in the ward
        await journey.answer(maria, choice)
    card = journey.card()
    shown = decode(buttons(card)[0][1])
    assert isinstance(shown, Acknowledge)
    _press_old_button(journey, ana, card, f"k:{shown.alert_id}")
    await journey.settle()
    async with journey.runtime.sessions() as session:
        alert = await session.get_one(Alert, shown.alert_id)
    assert alert.status is AlertStatus.ACKNOWLEDGED
    assert journey.texts(maria)[-1] == t("en", "nurse_has_seen")
