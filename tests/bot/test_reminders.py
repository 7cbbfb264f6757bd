"""A reminder re-asks the open question with buttons that work, and the same question's
buttons on an earlier message work too, whatever the patient did in between."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import t
from bot.sandbox import Person
from tests.fixtures.journey import SURGERY, Journey, buttons, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")
STALE = t("en", "button_stale")


async def _concern_screen_answered_at_ten(journey: Journey, maria: Person) -> None:
    """Today's check-in was sent at nine and left; at ten the patient used /help and
    answered its red-flag screen with "none of these" throughout."""
    await journey.at(POD1_9AM)
    journey.clock.set(POD1_9AM + timedelta(hours=1))
    await journey.type(maria, "/help")
    while journey.question_id(maria) is not None:
        await journey.press(maria, buttons(journey.last(maria))[0][1])


async def test_a_reminders_buttons_answer_the_checkin_after_a_concern_screen(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await _concern_screen_answered_at_ten(journey, maria)
    await journey.at(POD1_9AM + timedelta(hours=4))
    assert t("en", "reminder") in journey.texts(maria)
    assert journey.question_id(maria) == "red_flags"  # the red-flag screen, re-asked
    await journey.answer(maria, "none")
    assert STALE not in journey.texts(maria)
    assert journey.question_id(maria) == "bladder"


async def test_the_open_questions_buttons_on_an_earlier_message_still_work(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    first = journey.last(maria)  # the 09:00 question
    await _concern_screen_answered_at_ten(journey, maria)
    await journey.at(POD1_9AM + timedelta(hours=4))  # the reminder came after it
    none = next(data for label, data in buttons(first) if label == "None of these")
    await journey.press(maria, none, first)
    assert STALE not in journey.texts(maria)
    assert journey.question_id(maria) == "bladder"


async def test_a_typed_answer_after_a_concern_screen_goes_to_todays_checkin(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await _concern_screen_answered_at_ten(journey, maria)
    await journey.type(maria, "no")  # "no" to "do you have any of these?"
    assert t("en", "not_in_checkin") not in journey.texts(maria)
    assert journey.question_id(maria) == "bladder"


async def test_an_answered_questions_buttons_are_still_refused(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    first = journey.last(maria)
    await journey.answer(maria, "none")
    none = next(data for label, data in buttons(first) if label == "None of these")
    await journey.press(maria, none, first)
    assert journey.texts(maria)[-1] == STALE


async def test_a_closed_checkins_buttons_are_refused_once_a_newer_one_started(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    first = journey.last(maria)
    await journey.at(POD1_9AM + timedelta(days=1))  # missed, and the next day's is asked
    none = next(data for label, data in buttons(first) if label == "None of these")
    await journey.press(maria, none, first)
    assert journey.texts(maria)[-1] == STALE
