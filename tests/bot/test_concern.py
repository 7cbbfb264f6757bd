"""A concern (/help): the emergency signs and the number come first; a concern is never
answered "on track" (the team gets a card, the patient is told when to expect a reply);
then the patient may tell the team in their own words, typed or as a photo."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.i18n import t
from bot.sandbox import Person
from bot.telegram.callbacks import SKIP
from db.models import Alert, Answer, CheckIn, Patient
from flows import CheckInKind, Tier
from tests.fixtures.journey import SURGERY, Journey, buttons, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")
SIGNS = "Chest pain, trouble breathing, fainting, new loss of bladder or bowel control"
WORDS_PROMPT = t("en", "concern_words_prompt")


async def _concern(journey: Journey, maria: Person, bladder: str = "normal") -> None:
    await journey.type(maria, "/help")
    await journey.answer(maria, "none")  # red flags
    if journey.question_id(maria) == "bladder":
        await journey.answer(maria, bladder)
    while journey.question_id(maria) not in (None, "concern_words"):
        await journey.press(maria, buttons(journey.last(maria))[0][1])


async def _alert(journey: Journey) -> Alert:
    async with journey.runtime.sessions() as session:
        alert = await session.scalar(select(Alert))
    assert alert is not None
    return alert


async def test_help_opens_with_the_emergency_signs_and_the_number(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/help")
    intro, first_question = journey.texts(maria)[-2:]
    assert intro.startswith(SIGNS) and "call 112 now" in intro
    assert journey.question_id(maria) == "red_flags" and first_question.startswith("Do you have")


async def test_a_concern_with_nothing_found_reaches_the_team_and_says_when_to_expect_a_reply(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await _concern(journey, maria)
    reply, prompt = journey.texts(maria)[-2:]
    assert reply == t("en", "concern_reply", within="24 h", number="112")
    assert prompt == WORDS_PROMPT
    assert not any("on track" in text for text in journey.texts(maria))
    alert = await _alert(journey)
    assert (alert.tier, [f.rule for f in alert.findings]) == (Tier.AMBER, ["patient_concern"])
    card = journey.texts(journey.ward)[-1]
    assert card.startswith("🟡 AMBER") and "patient_concern" in card

    await journey.type(maria, "My wound feels hot and it smells")
    assert journey.texts(maria)[-1] == t("en", "concern_words_thanks")
    card = journey.texts(journey.ward)[-1]
    assert "My wound feels hot and it smells" in card and "patient_words" in card
    async with journey.runtime.sessions() as session:
        words = await session.scalar(select(Answer.value).where(Answer.item_id == "concern_words"))
        awaiting = await session.scalar(select(Patient.awaiting))
    assert words == "My wound feels hot and it smells"
    assert awaiting is None  # the next thing typed is no longer taken as the words
    await journey.type(maria, "hello")  # a message to the team now, not more words
    assert journey.texts(maria)[-1] == t("en", "message_kept", number="112")
    assert journey.texts(journey.ward)[-1].endswith("\n\nhello")


async def test_a_red_item_in_the_concern_gives_its_tier_and_its_advice(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await _concern(journey, maria, bladder="cannot_pass")  # urinary retention: red_urgent
    alert = await _alert(journey)
    assert alert.tier is Tier.RED_URGENT
    assert [f.rule for f in alert.findings] == ["urinary_retention"]  # no patient_concern
    assert journey.texts(journey.ward)[-1].startswith("🟠 RED — URGENT")
    assert any(
        text.startswith("A nurse will call you within the hour") for text in journey.texts(maria)
    )
    assert journey.texts(maria)[-1] == WORDS_PROMPT


async def test_an_emergency_in_the_concern_ends_it_with_the_advice_and_asks_nothing_more(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/help")
    await journey.answer(maria, "none")
    await journey.answer(maria, "leaking")
    assert journey.texts(maria)[-1].startswith("Call emergency services now (112)")
    assert WORDS_PROMPT not in journey.texts(maria)
    assert (await _alert(journey)).tier is Tier.RED_EMERGENCY
    async with journey.runtime.sessions() as session:
        row = await session.scalar(select(CheckIn).where(CheckIn.kind == CheckInKind.CONCERN))
    assert row is not None and row.tier is Tier.RED_EMERGENCY


async def test_the_words_may_be_a_photo_or_skipped(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await _concern(journey, maria)
    journey.sandbox.send_photo(maria, b"\x89PNG a wet dressing")
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "concern_words_thanks")
    assert [m for m in journey.sandbox.messages_to(journey.ward) if m.get("photo")]

    bob, _ = await journey.enrolled_patient("Bob", ref="P-002")
    await _concern(journey, bob)
    prompt = journey.last(bob)
    await journey.answer(bob, SKIP)
    assert journey.texts(bob)[-1] == t("en", "concern_words_skipped")
    skip = next(data for _, data in buttons(prompt))
    await journey.press(bob, skip, prompt)  # a second time: nothing is waiting for it
    assert journey.texts(bob)[-1] == t("en", "button_stale")


async def test_going_back_to_an_open_checkin_ends_the_wait_for_the_words(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    checkin_question = journey.last(maria)  # today's check-in, left open
    await _concern(journey, maria)
    none = next(data for label, data in buttons(checkin_question) if label == "None of these")
    await journey.press(maria, none, checkin_question)  # back to today's check-in
    assert journey.question_id(maria) == "bladder"
    await journey.type(maria, "normal")  # an answer, not the concern's words
    assert journey.question_id(maria) == "wound_bleeding"
    async with journey.runtime.sessions() as session:
        words = await session.scalar(select(Answer.id).where(Answer.item_id == "concern_words"))
    assert words is None
