"""Erasing a patient: nothing that identifies them is left in any column of any table, the
pseudonymous clinical record stays, and the bot no longer knows their Telegram account."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import t
from bot.patients.enrolment.enrol import enrol
from bot.privacy.erasure import ERASED, Erasure, erase_patient
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.sandbox import Person
from db.models import (
    Alert,
    AlertStatus,
    Answer,
    AuditEntry,
    Base,
    CareNote,
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    Patient,
    PatientMessage,
    Team,
)
from flows import Finding, Tier
from tests.fixtures.journey import START, SURGERY, Journey, buttons, local

HERNIA = Path(__file__).parents[1] / "flows" / "fixtures" / "hernia-test-fixture.yaml"
MADRID = "Europe/Madrid"
POD3_9AM = local(SURGERY + timedelta(days=3), 9, MADRID)
# Values nobody else has, planted where a patient would leave them.
DISPLAY_NAME = "Xylophine Quabbernot"  # the name the team enrols them with
FIRST, LAST, USERNAME = "Zebulonia", "Frimblewick", "zf_canary_4821"  # from Telegram
TYPED = "my cat Wobblestein ate the dressing"  # typed where a number is asked
ZONE_TYPED = "Quorvania/Plimsoll"  # an unknown time zone, which the bot repeats back
CONCERN_WORDS = "my neighbour Ottoline Brisket saw the wound"  # a concern's own words
# Written outside a check-in, by the patient and by the team, and the team's note.
TO_THE_TEAM = "Can Dr Quillfeather see me on Thursday?"
FROM_THE_TEAM = "Yes, Dr Quillfeather keeps Thursday 10:00 for you."
NOTE = "Daughter Pennyroyal drives her to the clinic."


async def _erase(journey: Journey, *, keep_clinical: bool = True) -> Erasure:
    """What `eras patient erase P-001 --yes` does, at the journey's time."""
    async with journey.runtime.sessions.begin() as session:
        return await erase_patient(
            session, "P-001", journey.clock.now(), actor="cli:test", keep_clinical=keep_clinical
        )


async def _cells(journey: Journey) -> list[tuple[str, str, str]]:
    """Every column of every row of every table, as text: (table, column, text)."""
    cells = []
    async with journey.runtime.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    text = (
                        json.dumps(value, ensure_ascii=False)
                        if isinstance(value, dict | list)
                        else str(value)
                    )
                    cells.append((table.name, column, text))
    return cells


def _where(cells: list[tuple[str, str, str]], canary: str) -> set[str]:
    """The columns holding ``canary`` (numbers as whole numbers only)."""
    if canary.isdigit():
        pattern = re.compile(rf"(?<!\d){canary}(?!\d)")
        return {f"{table}.{column}" for table, column, text in cells if pattern.search(text)}
    return {
        f"{table}.{column}" for table, column, text in cells if canary.casefold() in text.casefold()
    }


async def _checkin_with_a_photo(journey: Journey, patient: Person) -> None:
    """POD 3: a wound photo, an amber answer, and words typed where a number was asked."""
    await journey.at(POD3_9AM)
    typed = False
    for _ in range(40):
        last = journey.last(patient)
        if "photo of your wound" in last.get("text", ""):
            journey.sandbox.send_photo(patient, b"\x89PNG not really a wound")
            await journey.settle()
        elif journey.question_id(patient) == "bladder":
            await journey.answer(patient, "difficult")  # amber: the team will be told
        elif journey.question_id(patient) is not None:
            await journey.press(patient, buttons(last)[0][1])
        elif last.get("text", "").startswith("Thank you"):
            return
        else:
            await journey.type(patient, "1" if typed else TYPED)
            typed = True
    raise AssertionError("the check-in did not end")


async def _resolve(journey: Journey, nurse: Person) -> None:
    for label in ("Acknowledge", "Resolve", "Clinic visit", "I"):
        card = journey.card()
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(nurse, card, data, chat=journey.ward)
        await journey.settle()


async def _a_patient_who_left_traces_everywhere(journey: Journey) -> tuple[Person, str]:
    """Returns the patient's Telegram account and the file id of their photo."""
    ana = await journey.staff_member("Ana")
    patient = journey.sandbox.user(FIRST, last_name=LAST, username=USERNAME)
    journey.sandbox.open_deep_link(patient, "aWrongTokenOfTheRightShape_")  # a failure row
    await journey.settle()
    await journey.enrolled_patient(person=patient, display_name=DISPLAY_NAME)
    await journey.type(patient, "/timezone")
    await journey.type(patient, ZONE_TYPED)
    await journey.type(patient, MADRID)
    await journey.type(patient, "/alerts")  # not staff: refused, and audited
    await _checkin_with_a_photo(journey, patient)
    journey.sandbox.send_text(ana, "Phoning her now", chat=journey.ward, reply_to=journey.card())
    await journey.settle()
    await _resolve(journey, ana)
    async with journey.runtime.sessions() as session:
        photo = await session.scalar(select(Answer.value).where(Answer.item_id == "wound_photo"))
    assert isinstance(photo, str)
    return patient, photo


async def test_no_column_of_any_table_keeps_what_identifies_an_erased_patient(
    journey: Journey,
) -> None:
    patient, photo = await _a_patient_who_left_traces_everywhere(journey)
    await journey.type(patient, "/help")
    while journey.question_id(patient) not in (None, "concern_words"):
        await journey.press(patient, buttons(journey.last(patient))[0][1])
    await journey.type(patient, CONCERN_WORDS)  # onto a card, and kept with the check-in
    sent_photo = await _messages_both_ways(journey, patient)
    canaries = [DISPLAY_NAME, FIRST, LAST, USERNAME, TYPED, ZONE_TYPED, CONCERN_WORDS, photo]
    canaries += [TO_THE_TEAM, FROM_THE_TEAM, NOTE, sent_photo]
    canaries.append(str(patient.id))
    before = await _cells(journey)
    assert [c for c in canaries if not _where(before, c)] == []  # the journey left them all
    assert any(DISPLAY_NAME in text for text in journey.texts(journey.ward))

    erased = await _erase(journey)
    assert (erased.already, erased.clinical_kept) == (False, True)
    await journey.settle()  # the card in the team's chat is redrawn, without the name

    after = await _cells(journey)
    left = {canary: where for canary in canaries if (where := _where(after, canary))}
    assert left == {}
    # The group's limit (20 a minute) held some of the edits and deletions back.
    await journey.at(journey.clock.now() + timedelta(minutes=1))
    shown = [
        (m.get("text") or m.get("caption", ""), m.get("photo", [{}])[-1].get("file_id"))
        for m in journey.sandbox.messages_to(journey.ward)
    ]
    assert not any(DISPLAY_NAME in text for text, _ in shown)
    assert not any(TO_THE_TEAM in text or photo == sent_photo for text, photo in shown)


async def _messages_both_ways(journey: Journey, patient: Person) -> str:
    """The patient writes to the team and sends a photo; Bea, their nurse, answers and
    adds a note. Returns the photo's file id."""
    bea = await journey.staff_member("Bea")
    await journey.type(patient, TO_THE_TEAM)
    journey.sandbox.send_photo(patient, b"\x89PNG the kitchen, not a wound")
    await journey.settle()
    cards = [
        m
        for m in journey.sandbox.messages_to(journey.ward)
        if "Message from patient" in (m.get("text") or m.get("caption", ""))
    ]
    for label, words in (("Reply to patient", FROM_THE_TEAM), ("Add note", NOTE)):
        journey.sandbox.press_button(bea, cards[0], text=label, chat=journey.ward)
        await journey.settle()
        prompt = journey.last(journey.ward)
        journey.sandbox.send_text(bea, words, chat=journey.ward, reply_to=prompt)
        await journey.settle()
    assert journey.texts(patient)[-1] == f"Your care team: {FROM_THE_TEAM}"
    return str(cards[1]["photo"][-1]["file_id"])


async def test_the_clinical_record_stays_under_the_reference(journey: Journey) -> None:
    await _a_patient_who_left_traces_everywhere(journey)
    await _erase(journey)
    async with journey.runtime.sessions() as session:
        patient = await session.scalar(select(Patient).where(Patient.ref == "P-001"))
        episode = await session.scalar(select(Episode))
        completed = await session.scalar(
            select(CheckIn).where(CheckIn.status == CheckInStatus.COMPLETED)
        )
        answers = {a.item_id: a.value for a in await session.scalars(select(Answer))}
        alert = await session.scalar(select(Alert))
        erased = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "patient.erase")
        )
    assert patient is not None and patient.erased_at is not None
    assert episode is not None and episode.status is EpisodeStatus.WITHDRAWN
    assert completed is not None and (completed.pod, completed.tier) == (3, "amber")
    assert answers["bladder"] == "difficult" and answers["wound_photo"] == ERASED
    assert alert is not None and (alert.status, alert.outcome) == (
        AlertStatus.RESOLVED,
        "clinic_visit",
    )
    assert erased is not None and erased.patient_ref == "P-001"
    assert erased.detail == {"reason": "request", "clinical": "kept"}


async def test_the_bot_forgets_the_account_of_an_erased_patient(journey: Journey) -> None:
    patient, enrolment = await journey.enrolled_patient()
    await _erase(journey)
    sent = len(journey.texts(patient))
    for day in (1, 2, 3):
        await journey.at(local(SURGERY + timedelta(days=day), 9, MADRID))
    assert len(journey.texts(patient)) == sent  # no check-in, no reminder

    await journey.type(patient, "/help")
    assert journey.texts(patient)[sent:] == [t("en", "start_without_link")]
    journey.sandbox.open_deep_link(patient, enrolment.token)
    await journey.settle()
    assert journey.texts(patient)[-1] == t("en", "start_link_invalid")


async def test_an_erased_reference_is_not_enrolled_again(journey: Journey) -> None:
    from bot.patients.enrolment.enrol import EnrolmentRefused

    await journey.enrol()
    await _erase(journey)
    try:
        await journey.enrol()
    except EnrolmentRefused as refused:
        assert "erased" in str(refused)
    else:
        raise AssertionError("enrolled again")


async def test_dropping_the_clinical_record_keeps_only_the_reference(journey: Journey) -> None:
    await _a_patient_who_left_traces_everywhere(journey)
    card_id = next(
        m["message_id"]
        for m in journey.sandbox.messages_to(journey.ward)
        if "alert #1" in m.get("text", "")
    )
    await _erase(journey, keep_clinical=False)
    await journey.settle()
    async with journey.runtime.sessions() as session:
        left: dict[str, Any] = {
            model.__tablename__: len(list(await session.scalars(select(model))))
            for model in (Episode, CheckIn, Answer, Alert)
        }
        refs = list(await session.scalars(select(Patient.ref)))
    assert left == {"episodes": 0, "checkins": 0, "answers": 0, "alerts": 0}
    assert refs == ["P-001"]
    [now] = [m for m in journey.sandbox.messages_to(journey.ward) if m["message_id"] == card_id]
    assert now["text"] == "Alert #1: its record has been erased."


async def test_typed_answers_are_erased_and_chosen_ones_kept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The shipped protocols ask for no typed answer; the test fixture's hernia one does."""
    catalogue = ProtocolCatalogue(load_protocols(HERNIA.parent))
    answers = {"groin_pain": 6, "pain_worse_with": "when my dog Sniffleton jumps on me"}
    async with sessions.begin() as session:
        session.add(Team(name="Hernia", chat_id=-1, timezone="UTC", created_at=START))
        await session.flush()
        enrolled = await enrol(
            session,
            catalogue,
            protocol_id="test-inguinal-hernia",
            team_name="Hernia",
            ref="H-001",
            surgery_date=SURGERY,
            now=START,
            actor="cli:test",
        )
        row = await session.scalar(select(CheckIn).where(CheckIn.episode_id == enrolled.episode_id))
        assert row is not None
        row.conversation = {"pod": row.pod, "kind": "scheduled", "answers": answers}
        for item, value in answers.items():
            session.add(
                Answer(
                    checkin_id=row.id,
                    protocol_version_id=row.protocol_version_id,
                    item_id=item,
                    value=value,
                    answered_at=START,
                )
            )
        finding = Finding("r", Tier.AMBER, tuple(answers), {"en": "a made-up rule"}, answers)
        session.add(
            Alert(
                episode_id=enrolled.episode_id,
                tier="amber",
                cause="rule",
                findings=(finding,),
                status=AlertStatus.RESOLVED,
                opened_at=START,
                updated_at=START,
                escalation=[],
            )
        )
    async with sessions.begin() as session:
        await erase_patient(session, "H-001", START, actor="cli:test")
    async with sessions() as session:
        kept = {a.item_id: a.value for a in await session.scalars(select(Answer))}
        conversation = await session.scalar(
            select(CheckIn.conversation).where(CheckIn.id == row.id)
        )
        findings = await session.scalar(select(Alert.findings))
    expected = {"groin_pain": 6, "pain_worse_with": ERASED}
    assert kept == expected
    assert conversation is not None and conversation["answers"] == expected
    assert findings is not None and findings[0].answers == expected


async def test_dropping_the_clinical_record_drops_messages_and_notes_too(journey: Journey) -> None:
    bea = await journey.staff_member("Bea")
    patient, _ = await journey.enrolled_patient()
    await journey.type(patient, TO_THE_TEAM)
    card = journey.last(journey.ward)
    journey.sandbox.press_button(bea, card, text="Add note", chat=journey.ward)
    await journey.settle()
    journey.sandbox.send_text(bea, NOTE, chat=journey.ward, reply_to=journey.last(journey.ward))
    await journey.settle()
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CareNote)) == 1
    await _erase(journey, keep_clinical=False)
    async with journey.runtime.sessions() as session:
        left = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (PatientMessage, CareNote, Episode)
        ]
    assert left == [0, 0, 0]
