"""The photos and voice messages patients sent, on their page: fetched from Telegram (the
sandbox) through the console after the patient page's own checks, never from a public
address, never cached, and each look audited."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from bot.patients.records.files import ACTION
from db.models import AuditEntry, Staff
from tests.fixtures.journey import buttons
from tests.web.conftest import PNG, Ward

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
VOICE = b"OggS\x00\x02" + bytes(32)


async def _looks(ward: Ward) -> list[AuditEntry]:
    async with ward.journey.runtime.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == ACTION).order_by(AuditEntry.id)
            )
        )


def _files(page: str) -> list[str]:
    return sorted(set(re.findall(r'src="(/patients/\d+/files/[^"]+)"', html.unescape(page))))


async def test_the_teams_nurse_sees_the_photo_a_patient_sent_on_the_patient_page(
    ward: Ward,
) -> None:
    _, episode_id, ref = await ward.photo_sent("Maria", "P-001")
    ana = await ward.signed_in("Ana")
    page = (await ana.get(f"/patients/{episode_id}")).text
    address = f"/patients/{episode_id}/files/{ref}"
    assert _files(page) == [address]
    # The address names neither the patient nor Telegram's file.
    file_ids = list(ward.journey.sandbox.world.files)
    assert "P-001" not in address and "Maria" not in address
    assert not any(file_id in page for file_id in file_ids)

    answer = await ana.get(address)
    assert answer.status_code == 200
    assert answer.content == PNG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "img-src 'self'" in answer.headers["content-security-policy"]

    (look,) = await _looks(ward)
    assert look.actor_ref == f"staff:{await _staff_id(ward, 'Ana')}"
    assert look.patient_ref == "P-001"
    assert look.detail == {"episode": episode_id, "file": ref}


async def _staff_id(ward: Ward, name: str) -> int:
    async with ward.journey.runtime.sessions() as session:
        staff_id = await session.scalar(select(Staff.id).where(Staff.name == name))
    assert staff_id is not None
    return staff_id


async def test_a_photo_sent_with_a_concern_is_shown_with_the_check_in(ward: Ward) -> None:
    journey = ward.journey
    maria, enrolment = await journey.enrolled_patient("Maria", display_name="Maria")
    # /help, no red flag, the first option of every question until the words are asked for.
    await journey.type(maria, "/help")
    await journey.answer(maria, "none")
    while journey.question_id(maria) not in (None, "concern_words"):
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    journey.sandbox.send_photo(maria, JPEG)
    await journey.settle()
    ana = await ward.signed_in("Ana")
    (address,) = _files((await ana.get(f"/patients/{enrolment.episode_id}")).text)
    answer = await ana.get(address)
    assert answer.status_code == 200
    assert answer.content == JPEG
    assert answer.headers["content-type"] == "image/jpeg"
    assert len(await _looks(ward)) == 1


async def test_a_voice_message_plays_through_the_console(ward: Ward) -> None:
    journey = ward.journey
    maria, enrolment = await journey.enrolled_patient("Maria", display_name="Maria")
    journey.sandbox.send_voice(maria, VOICE)
    await journey.settle()
    ana = await ward.signed_in("Ana")
    page = html.unescape((await ana.get(f"/patients/{enrolment.episode_id}")).text)
    (address,) = re.findall(r'<audio controls preload="none" src="([^"]+)"', page)
    answer = await ana.get(address)
    assert answer.status_code == 200
    assert answer.content == VOICE
    assert answer.headers["content-type"] == "audio/ogg"


async def test_a_nurse_of_another_team_gets_404_and_nothing_is_fetched(ward: Ward) -> None:
    _, episode_id, ref = await ward.photo_sent()
    olga = await ward.signed_in("Olga")
    calls = len(ward.journey.sandbox.ledger.calls("getFile"))
    answer = await olga.get(f"/patients/{episode_id}/files/{ref}")
    assert answer.status_code == 404
    assert PNG not in answer.content
    assert len(ward.journey.sandbox.ledger.calls("getFile")) == calls
    assert await _looks(ward) == []


async def test_nobody_signed_in_is_sent_to_sign_in(ward: Ward) -> None:
    _, episode_id, ref = await ward.photo_sent()
    answer = await ward.client().get(f"/patients/{episode_id}/files/{ref}")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signed-out"
    assert await _looks(ward) == []


async def test_a_file_is_only_found_under_its_own_episode(ward: Ward) -> None:
    _, bob_episode, bob_photo = await ward.photo_sent("Bob", "P-002")
    _, maria_episode, _ = await ward.photo_sent("Maria", "P-001")
    ana = await ward.signed_in("Ana")
    for address in (
        f"/patients/{maria_episode}/files/{bob_photo}",  # Bob's photo under Maria's record
        f"/patients/{bob_episode}/files/a{bob_photo[1:]}",  # no such answer
        f"/patients/{bob_episode}/files/m0",
        f"/patients/{bob_episode}/files/AgACAgIAAxkBAAI",  # a file id is no reference
    ):
        assert (await ana.get(address)).status_code == 404, address
    assert await _looks(ward) == []


async def test_a_file_telegram_no_longer_gives_is_said_so(ward: Ward) -> None:
    _, episode_id, ref = await ward.photo_sent()
    ward.journey.sandbox.world.files.clear()  # Telegram forgot it
    ana = await ward.signed_in("Ana")
    answer = await ana.get(f"/patients/{episode_id}/files/{ref}")
    assert answer.status_code == 502
    assert "no longer gives this file" in answer.text
    assert len(await _looks(ward)) == 1  # the look was made, and is on record


async def test_a_console_without_a_bot_says_it_cannot_show_the_file(ward: Ward) -> None:
    _, episode_id, ref = await ward.photo_sent()
    ward.console.files = None  # `eras web` without the bot's token
    ana = await ward.signed_in("Ana")
    answer = await ana.get(f"/patients/{episode_id}/files/{ref}")
    assert answer.status_code == 503
    assert "no bot to fetch files with" in answer.text
    assert PNG not in answer.content
