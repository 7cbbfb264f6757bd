"""One message per outcome, never contradicting: after an emergency, the patient reads the
emergency advice once, is asked nothing more in that check-in, and nothing afterwards says
"on track" or "a nurse will call you" while the emergency alert is open."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.i18n import t
from bot.sandbox import Person
from db.models import CheckIn, CheckInStatus
from flows import Tier
from tests.fixtures.journey import SURGERY, Journey, buttons, local

MADRID = "Europe/Madrid"
POD1_9AM = local(SURGERY + timedelta(days=1), 9, MADRID)
POD2_9AM = POD1_9AM + timedelta(days=1)
EMERGENCY = "Call emergency services now (112)"
ON_TRACK = "everything looks on track"
NURSE_CALLS = "A nurse will call you within the hour"
STANDS = t("en", "emergency_stands", number="112")


async def _answer_reassuringly(journey: Journey, maria: Person) -> None:
    """Every question of the open check-in answered with its first (reassuring) button."""
    for _ in range(40):
        if journey.question_id(maria) == "concern_words":  # not a question: "anything else?"
            return
        if journey.question_id(maria) is not None:
            await journey.press(maria, buttons(journey.last(maria))[0][1])
        elif journey.texts(maria)[-1].startswith("How many days"):
            await journey.type(maria, "1")
        else:
            return


async def _resolve_as_false_alarm(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    for label in ("Resolve", "False alarm"):
        card = journey.card()
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(ana, card, data, chat=journey.ward)
        await journey.settle()


async def test_an_emergency_answer_is_the_last_question_and_nothing_contradicts_it(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")  # red flags group
    before = len(journey.texts(maria))
    await journey.answer(maria, "leaking")  # bladder: new incontinence

    [outcome] = journey.texts(maria)[before:]  # exactly one message
    assert outcome.startswith(EMERGENCY)
    assert outcome.endswith(t("en", "emergency_checkin_closed"))
    assert journey.question_id(maria) is None  # no next question
    async with journey.runtime.sessions() as session:
        row = await session.scalar(select(CheckIn).where(CheckIn.pod == 1))
    assert row is not None
    assert (row.status, row.tier) == (CheckInStatus.COMPLETED, Tier.RED_EMERGENCY)
    assert "EMERGENCY" in journey.texts(journey.ward)[-1]

    # No reminder re-asks the closed check-in; /status says the advice stands.
    await journey.at(POD1_9AM + timedelta(hours=4))
    assert len(journey.texts(maria)) == before + 1
    await journey.type(maria, "/status")
    assert journey.texts(maria)[-1].startswith(STANDS)

    # The next day's check-in, answered reassuringly, ends on the same advice.
    await journey.at(POD2_9AM)
    await _answer_reassuringly(journey, maria)
    summary = journey.texts(maria)[-1]
    assert summary.startswith(t("en", "checkin_complete")) and STANDS in summary

    after = journey.texts(maria)[before:]
    assert sum(EMERGENCY in text for text in after) == 1
    assert not any(ON_TRACK in text or NURSE_CALLS in text for text in after)


async def test_an_urgent_finding_while_an_emergency_is_open_keeps_the_emergency_advice(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "leaking")
    await journey.at(POD2_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "normal")
    before = len(journey.texts(maria))
    await journey.answer(maria, "soaked")  # red_urgent on its own
    advice, _question = journey.texts(maria)[before:]
    assert advice == STANDS
    assert NURSE_CALLS not in "".join(journey.texts(maria))


async def test_a_concern_while_an_emergency_is_open_is_told_the_emergency_advice_stands(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "leaking")
    await journey.type(maria, "/help")
    await _answer_reassuringly(journey, maria)
    reply, _words_prompt = journey.texts(maria)[-2:]
    assert reply == STANDS


async def test_once_the_emergency_is_resolved_the_usual_advice_returns(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "leaking")
    await _resolve_as_false_alarm(journey)
    await journey.type(maria, "/status")
    assert not journey.texts(maria)[-1].startswith(STANDS)
    await journey.at(POD2_9AM)
    await _answer_reassuringly(journey, maria)
    assert STANDS not in journey.texts(maria)[-1]


async def test_an_acknowledged_emergency_does_not_ask_the_patient_to_wait(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "leaking")
    ana = await journey.staff_member("Ana")
    card = journey.card()
    data = next(d for text, d in buttons(card) if text == "Acknowledge")
    journey.sandbox.press_button(ana, card, data, chat=journey.ward)
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "nurse_has_seen_emergency")
