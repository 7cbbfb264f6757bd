"""Messages between a patient and their care team in Telegram: what the patient writes
outside a check-in reaches the team as a card; a nurse or surgeon of the patient's team
answers it, or adds a note, through the bot's prompt; nobody else can, and nothing else
written in the group reaches the patient."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.correspondence.authority import REFUSED
from bot.correspondence.prompts import NO_PROMPT
from bot.i18n import t
from bot.sandbox import Person
from bot.telegram.callbacks import NoteOnAlert, ReplyToPatient, encode
from db.models import (
    Alert,
    AuditEntry,
    CareNote,
    Direction,
    OutboxMessage,
    PatientMessage,
    StaffRole,
    Team,
)
from tests.fixtures.journey import SURGERY, Journey, buttons, local

MADRID = "Europe/Madrid"
POD1_9AM = local(SURGERY + timedelta(days=1), 9, MADRID)
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
QUESTION = "Can I take a shower with the dressing on?"
ANSWER = "Yes, with the waterproof dressing; pat it dry afterwards."


def message_cards(journey: Journey) -> list[dict[str, Any]]:
    return [
        m
        for m in journey.sandbox.messages_to(journey.ward)
        if "Reply to patient" in [label for label, _ in buttons(m)]
    ]


def prompts(journey: Journey) -> list[dict[str, Any]]:
    return [
        m for m in journey.sandbox.messages_to(journey.ward) if "reply to this" in m.get("text", "")
    ]


async def press(journey: Journey, person: Person, message: dict[str, Any], label: str) -> str:
    """Press the button called ``label``; what the bot answered on the person's screen."""
    update = journey.sandbox.press_button(person, message, text=label, chat=journey.ward)
    await journey.settle()
    answer = journey.sandbox.callback_answer(update)
    assert answer is not None
    return str(answer.get("text"))


async def reply(journey: Journey, person: Person, to: dict[str, Any], words: str) -> str:
    """``person`` replies in the group to ``to``; what the bot said back to them there."""
    journey.sandbox.send_text(person, words, chat=journey.ward, reply_to=to)
    await journey.settle()
    return journey.texts(journey.ward)[-1]


async def rows(journey: Journey, model: Any) -> list[Any]:
    async with journey.runtime.sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def audited(journey: Journey, action: str) -> list[AuditEntry]:
    return [a for a in await rows(journey, AuditEntry) if a.action == action]


async def asked_to_answer(journey: Journey) -> tuple[Person, Person, dict[str, Any]]:
    """Maria wrote to the team; Ana, their nurse, pressed Reply to patient."""
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, QUESTION)
    assert await press(journey, ana, message_cards(journey)[-1], "Reply to patient") == (
        "Write it as a reply to the bot's prompt in the group."
    )
    return ana, maria, prompts(journey)[-1]


async def test_words_outside_a_check_in_reach_the_team_as_a_card(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient(display_name="Maria")
    await journey.type(maria, QUESTION)
    assert journey.texts(maria)[-1] == t("en", "message_kept", number="112")
    (card,) = message_cards(journey)
    assert card["text"].startswith("✉️ Message from patient P-001 (Maria)")
    assert card["text"].endswith(QUESTION)
    assert [label for label, _ in buttons(card)] == ["Reply to patient", "Add note"]
    (kept,) = await rows(journey, PatientMessage)
    assert (kept.direction, kept.content.value, kept.text) == (
        Direction.FROM_PATIENT,
        "text",
        QUESTION,
    )
    (entry,) = await audited(journey, "message.from_patient")
    assert entry.patient_ref == "P-001" and entry.detail["message"] == kept.id


async def test_a_photo_and_a_voice_message_go_to_the_team_by_their_file_ids(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    journey.sandbox.send_photo(maria, PHOTO, caption="Is this redness normal?")
    journey.sandbox.send_voice(maria, b"OggS voice")
    await journey.settle()
    photo, voice = await rows(journey, PatientMessage)
    assert (photo.content.value, photo.text) == ("photo", "Is this redness normal?")
    assert (voice.content.value, voice.text) == ("voice", None)
    ward = journey.ward.chat_id
    (sent_photo,) = journey.sandbox.ledger.calls("sendPhoto", chat_id=ward)
    (sent_voice,) = journey.sandbox.ledger.calls("sendVoice", chat_id=ward)
    assert sent_photo.params["photo"] == photo.file_id
    assert sent_voice.params["voice"] == voice.file_id
    assert "Is this redness normal?" in sent_photo.params["caption"]
    assert journey.texts(maria)[-2:] == [t("en", "message_kept", number="112")] * 2


async def test_words_a_question_waits_for_stay_an_answer(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "dry", "6", "3", "partly", "in_room"):
        await journey.answer(maria, choice)
    await journey.type(maria, "36.8")  # the temperature the check-in asked for
    assert await rows(journey, PatientMessage) == []
    assert message_cards(journey) == []


async def test_a_nurse_answers_and_the_patient_reads_it_at_once(journey: Journey) -> None:
    ana, maria, prompt = await asked_to_answer(journey)
    (asked,) = [
        c
        for c in journey.sandbox.ledger.calls("sendMessage", chat_id=journey.ward.chat_id)
        if "reply to this" in c.params.get("text", "")
    ]
    markup = asked.params["reply_markup"]
    assert (json.loads(markup) if isinstance(markup, str) else markup)["force_reply"] is True
    assert await reply(journey, ana, prompt, ANSWER) == "✅ Sent to patient P-001."
    assert journey.texts(maria)[-1] == f"Your care team: {ANSWER}"
    _, answered = await rows(journey, PatientMessage)
    assert (answered.direction, answered.text, answered.origin) == (
        Direction.TO_PATIENT,
        ANSWER,
        "telegram",
    )
    (entry,) = await audited(journey, "message.to_patient")
    assert (entry.outcome, entry.actor_ref, entry.detail["message"]) == (
        "done",
        f"staff:{answered.staff_id}",
        answered.id,
    )


async def test_an_edited_answer_is_not_sent_again(journey: Journey) -> None:
    ana, maria, prompt = await asked_to_answer(journey)
    sent = journey.sandbox.send_text(ana, ANSWER, chat=journey.ward, reply_to=prompt)
    await journey.settle()
    assert sent is not None
    journey.sandbox.edit_text(ana, sent["message"], "Something else entirely.")
    await journey.settle()
    assert journey.texts(maria)[-1] == f"Your care team: {ANSWER}"
    assert [m.text for m in await rows(journey, PatientMessage)] == [QUESTION, ANSWER]


async def test_a_spanish_patient_reads_their_team_in_spanish(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    lucia, _ = await journey.enrolled_patient("Lucia", language="es")
    await journey.type(lucia, "¿Puedo ducharme?")
    assert journey.texts(lucia)[-1] == t("es", "message_kept", number="112")
    await press(journey, ana, message_cards(journey)[-1], "Reply to patient")
    await reply(journey, ana, prompts(journey)[-1], "Sí, con el apósito impermeable.")
    assert journey.texts(lucia)[-1] == "Su equipo asistencial: Sí, con el apósito impermeable."


async def test_quiet_hours_do_not_hold_back_a_nurses_answer(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    late = local(SURGERY + timedelta(days=1), 23, MADRID, 30)  # inside 22:00–08:00
    await journey.at(late)
    await journey.type(maria, QUESTION)
    await press(journey, ana, message_cards(journey)[-1], "Reply to patient")
    await reply(journey, ana, prompts(journey)[-1], ANSWER)
    assert journey.clock.now() == late  # sent without waiting for the morning
    assert journey.texts(maria)[-1] == f"Your care team: {ANSWER}"
    async with journey.runtime.sessions() as session:
        sent = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.purpose == "care_team_message")
        )
    assert sent is not None and sent.not_before == late and sent.sent_at == late


async def test_only_the_patients_team_may_answer(journey: Journey) -> None:
    _, maria, prompt = await asked_to_answer(journey)
    # Olga is a nurse of another team who is in this group; Ines the team's admin; Bob a
    # member of the group the bot never registered.
    olga = await journey.staff_member("Olga", team=await _other_team(journey))
    ines = await journey.staff_member("Ines", StaffRole.ADMIN)
    bob = journey.sandbox.user("Bob")
    journey.ward.add_member(bob)
    told_before = len(journey.texts(maria))
    for outsider in (olga, ines, bob):
        assert await reply(journey, outsider, prompt, "Ignore your team.") == f"⛔ {REFUSED}"
        assert await press(journey, outsider, message_cards(journey)[-1], "Reply to patient") == (
            REFUSED
        )
    assert len(journey.texts(maria)) == told_before
    assert [m.direction for m in await rows(journey, PatientMessage)] == [Direction.FROM_PATIENT]
    refusals = await audited(journey, "message.to_patient")
    assert [r.outcome for r in refusals] == ["refused"] * 3
    assert all(r.patient_ref is None for r in refusals)  # the refused learn no one's name


async def test_a_forged_button_or_another_teams_card_changes_nothing(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    cervical = journey.sandbox.group("Cervical ward", members=(ana,))
    team = await _other_team(journey, chat_id=cervical.chat_id)
    pedro, _ = await journey.enrolled_patient("Pedro", ref="P-002", team=team)
    await journey.type(pedro, "My neck hurts.")
    (theirs,) = await rows(journey, PatientMessage)
    maria, _ = await journey.enrolled_patient(ref="P-001")
    await journey.type(maria, QUESTION)
    card = message_cards(journey)[-1]
    ward_before = len(journey.texts(journey.ward))
    forgeries = (ReplyToPatient(theirs.id), ReplyToPatient(10_000), NoteOnAlert(10_000))
    for n, forged in enumerate(forgeries):  # a modified client sends data no button carries
        user = {"id": ana.id, "is_bot": False, "first_name": "Ana"}
        query = {"id": f"forged-{n}", "from": user, "chat_instance": "1", "data": encode(forged)}
        journey.sandbox.send_raw_update({"callback_query": {**query, "message": card}})
        await journey.settle()
        answered = journey.sandbox.ledger.calls("answerCallbackQuery")[-1]
        assert answered.params["text"] == REFUSED
    assert len(journey.texts(journey.ward)) == ward_before  # no prompt anywhere
    assert journey.sandbox.messages_to(cervical)[-1]["text"].endswith("My neck hurts.")
    assert "reply to this" not in journey.texts(cervical)[-1]
    refused = await audited(journey, "prompt.ask")
    assert [a.outcome for a in refused] == ["refused"] * 3


async def test_an_empty_answer_sends_nothing(journey: Journey) -> None:
    ana, maria, prompt = await asked_to_answer(journey)
    told_before = len(journey.texts(maria))
    said = await reply(journey, ana, prompt, "   ")
    assert said == "⛔ Nothing was sent: the message to the patient was empty."
    assert len(journey.texts(maria)) == told_before


async def test_a_reply_to_anything_but_a_prompt_reaches_nobody(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, QUESTION)
    told_before = len(journey.texts(maria))
    assert await reply(journey, ana, message_cards(journey)[-1], ANSWER) == f"⛔ {NO_PROMPT}"
    assert len(journey.texts(maria)) == told_before
    assert [m.direction for m in await rows(journey, PatientMessage)] == [Direction.FROM_PATIENT]


async def test_a_note_is_kept_with_the_record_and_never_reaches_the_patient(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "soaked"):  # a soaked dressing: an alert and its card
        await journey.answer(maria, choice)
    (alert,) = await rows(journey, Alert)
    card = journey.card()
    assert [label for label, _ in buttons(card)][-2:] == ["Add note", "Open console"]
    await press(journey, ana, card, "Add note")
    prompt = journey.last(journey.ward)
    assert prompt["text"].startswith(
        f"Note for the record (not sent to the patient), on alert #{alert.id} of patient P-001."
    )
    told_before = journey.texts(maria)
    said = await reply(journey, ana, prompt, "Called her: dressing changed at the clinic.")
    assert said == "✅ Noted on the record of P-001 (not sent to the patient)."
    assert journey.texts(maria) == told_before
    (note,) = await rows(journey, CareNote)
    assert (note.alert_id, note.text) == (alert.id, "Called her: dressing changed at the clinic.")
    (entry,) = await audited(journey, "note.add")
    assert entry.detail == {"episode": note.episode_id, "alert": alert.id, "note": note.id}


async def test_the_audit_log_names_who_wrote_to_whom_never_the_words(journey: Journey) -> None:
    ana, _, prompt = await asked_to_answer(journey)
    await reply(journey, ana, prompt, ANSWER)
    await press(journey, ana, message_cards(journey)[-1], "Add note")
    await reply(journey, ana, journey.last(journey.ward), "A private note.")
    logged = json.dumps([[a.action, a.detail] for a in await rows(journey, AuditEntry)])
    assert "message.from_patient" in logged and "message.to_patient" in logged
    assert "note.add" in logged
    for words in (QUESTION, ANSWER, "A private note."):
        assert words not in logged


async def _other_team(journey: Journey, chat_id: int | None = None) -> str:
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(name="Cervical", chat_id=chat_id, timezone=MADRID, created_at=journey.clock.now())
        )
    return "Cervical"
