"""Caregivers: a patient adds one from their chat; the caregiver opens their own link,
answers a check-in for the patient, and receives the emergency advice; the team sees who
answered; removal takes effect at once. Links that cannot be used change nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.i18n import t
from bot.patients.caregivers.circle import LINK_LIFETIME, MAX_CAREGIVERS
from bot.privacy.erasure import erase_patient
from bot.sandbox import Person
from bot.telegram.callbacks import AnswerChoice, CaregiverChoice, Consent, Pause, decode, encode
from db.models import (
    ANSWERED_BY_CAREGIVER,
    ANSWERED_BY_PATIENT,
    Alert,
    Answer,
    AuditEntry,
    Base,
    Caregiver,
    CheckIn,
)
from tests.fixtures.journey import SURGERY, Journey, buttons, local
from tests.fuzzing.updates import private_chat

MADRID = "Europe/Madrid"
POD1_9AM = local(SURGERY + timedelta(days=1), 9, MADRID)
EMERGENCY = "Call emergency services now (112)"


def link_token(text: str) -> str:
    found = re.search(r"start=([A-Za-z0-9_-]+)", text)
    assert found is not None, text
    return found.group(1)


async def caregiver_link(journey: Journey, patient: Person) -> str:
    """The patient asks for a caregiver link with /caregiver and its Add button."""
    await journey.type(patient, "/caregiver")
    await journey.press(patient, CaregiverChoice(add=True))
    return link_token(journey.texts(patient)[-1])


async def forge(journey: Journey, person: Person, data: str) -> None:
    """A press with ``data`` that no message of the bot's in ``person``'s chat carries (a
    modified client sends whatever it likes)."""
    chat = private_chat(person.id)
    query = {
        "id": "1",
        "from": {"id": person.id, "is_bot": False, "first_name": "someone"},
        "chat_instance": "1",
        "data": data,
        "message": {"message_id": 1, "date": 1_772_460_000, "chat": chat},
    }
    journey.sandbox.send_raw_update({"callback_query": query})
    await journey.settle()


async def rows(journey: Journey, model: Any) -> list[Any]:
    async with journey.runtime.sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def audited(journey: Journey, action: str) -> list[AuditEntry]:
    return [a for a in await rows(journey, AuditEntry) if a.action == action]


async def test_a_caregiver_added_by_the_patient_answers_a_check_in_and_the_team_sees_who(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    token = await caregiver_link(journey, maria)
    assert "t.me/" in journey.texts(maria)[-1]

    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, token)
    await journey.settle()
    assert journey.texts(jose)[-1] == t("en", "caregiver_welcome")
    assert journey.texts(maria)[-1] == t("en", "caregiver_joined")

    await journey.at(POD1_9AM)  # the check-in goes to Maria
    await journey.type(jose, "/checkin")  # Jose sees the question it waits on
    assert journey.question_id(jose) == journey.question_id(maria)
    await journey.answer(jose, "none")  # red flags group
    await journey.answer(jose, "leaking")  # bladder: new incontinence, an emergency

    # The emergency advice reaches the caregiver who answered and the patient.
    assert journey.texts(jose)[-1].startswith(EMERGENCY)
    assert journey.texts(maria)[-1].startswith(EMERGENCY)
    answers = await rows(journey, Answer)
    assert answers and {a.answered_by for a in answers} == {ANSWERED_BY_CAREGIVER}
    assert "Answered by the patient's caregiver" in journey.texts(journey.ward)[-1]
    [linked] = await audited(journey, "caregiver.link")
    [caregiver] = await rows(journey, Caregiver)
    assert linked.actor_ref == f"caregiver:{caregiver.id}"
    assert linked.detail == {"caregiver": caregiver.id}


async def test_the_patients_own_answers_say_the_patient_and_reach_the_caregiver_when_red(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, await caregiver_link(journey, maria))
    await journey.settle()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "leaking")
    assert journey.texts(jose)[-1].startswith(EMERGENCY)
    assert {a.answered_by for a in await rows(journey, Answer)} == {ANSWERED_BY_PATIENT}
    assert "caregiver" not in journey.texts(journey.ward)[-1]


async def test_a_caregiver_link_works_once(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    token = await caregiver_link(journey, maria)
    jose, luis = journey.sandbox.user("Jose"), journey.sandbox.user("Luis")
    # Both open it at once: their chats are handled side by side, and either may be first.
    journey.sandbox.open_deep_link(jose, token)
    journey.sandbox.open_deep_link(luis, token)
    await journey.settle()
    [caregiver] = await rows(journey, Caregiver)
    first, second = (jose, luis) if caregiver.telegram_user_id == jose.id else (luis, jose)
    assert caregiver.telegram_user_id == first.id
    assert journey.texts(second)[-1] == t("en", "start_link_invalid")
    assert journey.texts(first)[-1] != t("en", "start_link_invalid")
    refused = [a for a in await audited(journey, "caregiver.link") if a.outcome == "refused"]
    assert [a.detail["reason"] for a in refused] == ["link cannot be used"]


async def test_an_expired_caregiver_link_is_refused(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    token = await caregiver_link(journey, maria)
    await journey.at(journey.clock.now() + LINK_LIFETIME + timedelta(minutes=1))
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, token)
    await journey.settle()
    assert journey.texts(jose)[-1] == t("en", "start_link_invalid")
    [caregiver] = await rows(journey, Caregiver)
    assert caregiver.linked_at is None


async def test_the_patients_own_account_cannot_use_the_link_and_does_not_use_it_up(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    token = await caregiver_link(journey, maria)
    journey.sandbox.open_deep_link(maria, token)
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "caregiver_link_own")
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, token)  # still works for the caregiver
    await journey.settle()
    assert journey.texts(jose)[-1] == t("en", "caregiver_welcome")


async def test_a_caregiver_may_only_answer_not_consent_or_pause(journey: Journey) -> None:
    maria, enrolment = await journey.enrolled_patient()
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, await caregiver_link(journey, maria))
    await journey.settle()
    await forge(journey, jose, encode(Pause(confirmed=True)))
    await forge(journey, jose, encode(Consent(enrolment.episode_id, agreed=False)))
    await forge(journey, jose, encode(CaregiverChoice(add=False)))
    assert journey.texts(jose)[-1] == t("en", "caregiver_help")
    [caregiver] = await rows(journey, Caregiver)
    assert caregiver.removed_at is None  # a caregiver's press removed nobody
    refused = [a for a in await audited(journey, "caregiver.button") if a.outcome == "refused"]
    assert len(refused) == 3


async def test_a_strangers_forged_answer_changes_nothing(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    question = journey.last(maria)
    data = next(d for _, d in buttons(question) if isinstance(decode(d), AnswerChoice))
    await forge(journey, journey.sandbox.user("Eve"), data)
    assert await rows(journey, Answer) == []


async def test_removal_takes_effect_at_once(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, await caregiver_link(journey, maria))
    await journey.settle()
    await journey.at(POD1_9AM)
    await journey.type(jose, "/checkin")
    question = journey.last(jose)
    await journey.type(maria, "/caregiver")
    await journey.press(maria, CaregiverChoice(add=False))
    assert journey.texts(maria)[-1] == t("en", "caregiver_removed")
    assert journey.texts(jose)[-1] == t("en", "caregiver_ended")

    data = next(d for _, d in buttons(question) if isinstance(decode(d), AnswerChoice))
    await journey.press(jose, data, question)  # the removed caregiver's button
    assert await rows(journey, Answer) == []
    [removed] = await audited(journey, "caregiver.remove")
    [caregiver] = await rows(journey, Caregiver)
    assert removed.detail == {"caregivers": [caregiver.id]}
    assert caregiver.telegram_user_id is None and caregiver.removed_at is not None


async def test_no_more_than_the_limit_of_caregivers(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    for n in range(MAX_CAREGIVERS):
        helper = journey.sandbox.user(f"Helper{n}")
        journey.sandbox.open_deep_link(helper, await caregiver_link(journey, maria))
        await journey.settle()
    await journey.type(maria, "/caregiver")
    labels = [label for label, _ in buttons(journey.last(maria))]
    assert labels == [t("en", "caregiver_remove")]  # no Add button at the limit
    await forge(journey, maria, encode(CaregiverChoice(add=True)))  # an old message's button
    assert journey.texts(maria)[-1] == t("en", "caregiver_limit", most=MAX_CAREGIVERS)


async def test_a_new_caregiver_link_makes_the_unopened_one_stop_working(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    first = await caregiver_link(journey, maria)
    await caregiver_link(journey, maria)
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, first)
    await journey.settle()
    assert journey.texts(jose)[-1] == t("en", "start_link_invalid")


async def test_the_caregiver_command_speaks_the_patients_language(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient(language="es")
    await journey.type(maria, "/caregiver")
    message = journey.last(maria)
    assert message["text"] == t("es", "caregiver_menu", count=0, most=MAX_CAREGIVERS)
    assert [label for label, _ in buttons(message)] == [t("es", "caregiver_add")]
    await journey.type(maria, "/nonsense")
    assert "/caregiver" in journey.texts(maria)[-1]


async def test_the_check_in_a_caregiver_answers_is_the_patients(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, await caregiver_link(journey, maria))
    await journey.settle()
    await journey.type(jose, "/checkin")
    assert journey.texts(jose)[-1] == t("en", "caregiver_nothing_waiting")
    await journey.at(POD1_9AM)
    await journey.type(jose, "/checkin")
    await journey.answer(jose, "none")
    [row] = [c for c in await rows(journey, CheckIn) if c.sent_at is not None]
    assert {a.checkin_id for a in await rows(journey, Answer)} == {row.id}


async def test_caregivers_are_erased_with_the_patient_and_their_answers_still_say_who(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, await caregiver_link(journey, maria))
    await journey.settle()
    await journey.at(POD1_9AM)
    await journey.type(jose, "/checkin")
    await journey.answer(jose, "none")
    async with journey.runtime.sessions.begin() as session:
        await erase_patient(session, "P-001", journey.clock.now(), actor="cli:test")

    assert await rows(journey, Caregiver) == []
    assert {a.answered_by for a in await rows(journey, Answer)} == {ANSWERED_BY_CAREGIVER}
    account = re.compile(rf"(?<!\d){jose.id}(?!\d)")
    async with journey.runtime.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                assert not any(account.search(str(v)) for v in row.values()), table.name
    told = len(journey.texts(jose))
    await journey.type(jose, "/checkin")  # a stranger now
    assert journey.texts(jose)[told:] == [t("en", "start_without_link")]


async def test_a_concern_the_caregiver_finishes_leaves_the_patients_next_words_alone(
    journey: Journey,
) -> None:
    """The words after a concern are the patient's own (a caregiver may not give them): when
    the caregiver answers the screen's last question, nobody is asked for them, and what the
    patient types next is not taken for them."""
    maria, _ = await journey.enrolled_patient()
    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, await caregiver_link(journey, maria))
    await journey.settle()
    await journey.type(maria, "/help")
    await journey.type(jose, "/checkin")
    await journey.answer(jose, "none")  # red flags
    while journey.question_id(jose) not in (None, "concern_words"):
        await journey.press(jose, buttons(journey.last(jose))[0][1])
    prompt = t("en", "concern_words_prompt")
    assert prompt not in journey.texts(jose) and prompt not in journey.texts(maria)
    await journey.type(maria, "Thanks, all fine now")
    [alert] = await rows(journey, Alert)
    assert [f.rule for f in alert.findings] == ["patient_concern"]  # no words on a card
    assert {a.item_id for a in await rows(journey, Answer)}.isdisjoint({"concern_words"})
