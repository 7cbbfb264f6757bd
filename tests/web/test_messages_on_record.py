"""Messages and notes on a patient's record: the transcript of a question answered from the
team's group, and the console's forms, which call the same use cases as the buttons."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from bot.correspondence.authority import REFUSED
from bot.i18n import t
from bot.sandbox import Person
from db.models import AuditEntry, CareNote, Direction, PatientMessage
from tests.fixtures.journey import buttons
from tests.web.conftest import Ward, csrf_of

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
CAPTION = "The skin around the wound is red since this morning."
QUESTION = "Is that normal, and may I take a shower?"
ANSWER = "Some redness is expected. Shower with the waterproof dressing on; we call you at 11."
NOTE = "Asked for a photo again tomorrow morning."


async def _maria(ward: Ward) -> tuple[Person, int]:
    """Maria, enrolled and linked, and her episode's id."""
    maria, enrolment = await ward.journey.enrolled_patient("Maria", display_name="Maria")
    return maria, enrolment.episode_id


async def _page(ward: Ward, who: str, episode_id: int) -> str:
    browser = await ward.signed_in(who)
    answer = await browser.get(f"/patients/{episode_id}")
    assert answer.status_code == 200
    return html.unescape(answer.text)


async def test_transcript_a_photo_and_a_question_answered_from_the_group(ward: Ward) -> None:
    journey, ana = ward.journey, ward.staff["Ana"]
    maria, enrolment = await journey.enrolled_patient("Maria", display_name="Maria")
    told = len(journey.texts(maria))

    # Maria, at home on the day of her operation, sends a photo and asks a question.
    journey.sandbox.send_photo(maria, PHOTO, caption=CAPTION)
    await journey.settle()
    await journey.type(maria, QUESTION)
    kept = t("en", "message_kept", number="112")
    assert journey.texts(maria)[told:] == [kept, kept]

    # The team's group gets both as cards: the photo itself, then the question.
    photo_card, question_card = journey.sandbox.messages_to(journey.ward)[-2:]
    assert journey.sandbox.photo_data(photo_card) == PHOTO
    assert photo_card["caption"].startswith("📷 Message from patient P-001 (Maria)")
    assert CAPTION in photo_card["caption"]
    assert question_card["text"].endswith(QUESTION)
    assert [label for label, _ in buttons(question_card)] == ["Reply to patient", "Add note"]

    # Ana presses Reply to patient; the bot asks her for the words; she replies to it.
    update = journey.sandbox.press_button(
        ana, question_card, text="Reply to patient", chat=journey.ward
    )
    await journey.settle()
    assert journey.sandbox.callback_answer(update) is not None
    prompt = journey.last(journey.ward)
    assert prompt["text"].startswith("Ana: reply to this message with your answer to patient P-001")
    journey.sandbox.send_text(ana, ANSWER, chat=journey.ward, reply_to=prompt)
    await journey.settle()
    assert journey.last(journey.ward)["text"] == "✅ Sent to patient P-001."

    # Maria reads it.
    assert journey.texts(maria)[-1] == f"Your care team: {ANSWER}"

    # Both directions are on her record in the console, newest first.
    page = await _page(ward, "Ana", enrolment.episode_id)
    assert "Messages and notes" in page
    assert page.index(ANSWER) < page.index(QUESTION) < page.index(CAPTION)
    # The photo itself, through the console (tests/web/test_patient_files.py).
    assert re.search(
        r'<img class="photo" src="/patients/\d+/files/m\d+" alt="Photo the patient sent"', page
    )
    assert "To the patient" in page and "From the patient" in page


async def test_a_nurse_writes_to_the_patient_from_the_console(ward: Ward) -> None:
    journey = ward.journey
    maria, episode_id = await _maria(ward)
    browser = await ward.signed_in("Ana")
    page = (await browser.get(f"/patients/{episode_id}")).text
    answer = await browser.post(
        f"/patients/{episode_id}/messages", data={"csrf": csrf_of(page), "words": ANSWER}
    )
    assert answer.status_code == 303
    await journey.settle()
    assert journey.texts(maria)[-1] == f"Your care team: {ANSWER}"
    async with journey.runtime.sessions() as session:
        sent = await session.scalar(select(PatientMessage))
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "message.to_patient")
        )
    assert sent is not None and (sent.direction, sent.origin) == (Direction.TO_PATIENT, "console")
    assert entry is not None and (entry.origin, entry.outcome) == ("console", "done")
    assert ANSWER in html.unescape((await browser.get(f"/patients/{episode_id}")).text)


async def test_a_note_from_the_console_stays_on_the_record(ward: Ward) -> None:
    journey = ward.journey
    _, episode_id = await _maria(ward)
    browser = await ward.signed_in("Ana")
    page = (await browser.get(f"/patients/{episode_id}")).text
    before = len(journey.sandbox.ledger.calls())
    answer = await browser.post(
        f"/patients/{episode_id}/notes", data={"csrf": csrf_of(page), "note": NOTE}
    )
    assert answer.status_code == 303
    await journey.settle()
    assert journey.sandbox.ledger.calls("sendMessage", after=before) == []  # to nobody at all
    async with journey.runtime.sessions() as session:
        note = await session.scalar(select(CareNote))
    assert note is not None and (note.text, note.origin, note.alert_id) == (NOTE, "console", None)
    shown = html.unescape((await browser.get(f"/patients/{episode_id}")).text)
    assert NOTE in shown and "Note (not sent to the patient)" in shown


async def test_the_console_refuses_an_admin_an_empty_message_and_a_missing_token(
    ward: Ward,
) -> None:
    journey = ward.journey
    _, episode_id = await _maria(ward)
    admin = await ward.signed_in("Ines")  # of the team, but no nurse or surgeon
    csrf = csrf_of((await admin.get(f"/patients/{episode_id}")).text)
    path = f"/patients/{episode_id}/messages"
    refused = await admin.post(path, data={"csrf": csrf, "words": ANSWER})
    assert refused.status_code == 403 and REFUSED in html.unescape(refused.text)
    nurse = await ward.signed_in("Ana")
    csrf = csrf_of((await nurse.get(f"/patients/{episode_id}")).text)
    empty = await nurse.post(path, data={"csrf": csrf, "words": "  "})
    assert empty.status_code == 400
    assert "the message to the patient was empty" in html.unescape(empty.text)
    assert (await nurse.post(path, data={"words": ANSWER})).status_code == 403  # no CSRF
    other = await ward.signed_in("Olga")
    csrf = csrf_of((await other.get("/")).text)
    assert (await other.post(path, data={"csrf": csrf, "words": ANSWER})).status_code == 404
    await journey.settle()
    async with journey.runtime.sessions() as session:
        sent = list(await session.scalars(select(PatientMessage)))
        outcomes = list(
            await session.scalars(
                select(AuditEntry.outcome).where(AuditEntry.action == "message.to_patient")
            )
        )
    assert sent == [] and outcomes == ["refused", "refused"]  # both audited, neither sent
