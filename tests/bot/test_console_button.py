"""The "Open console" button on alert cards and the daily digest: without the bot's domain
set, a press asks the bot for a sign-in link in the presser's private chat (active staff of
the card's team only); with it (ERAS_TELEGRAM_LOGIN), a LoginUrl button Telegram signs in
with. A group's card never carries a token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.sandbox import Person, TooManyRequests
from bot.settings import TELEGRAM_SIGN_IN_PATH
from bot.staff.registry import add_staff, remove_staff
from bot.staff.sign_in.links import LINK_SENT, NOT_THIS_TEAM, SIGN_IN_PATH
from bot.telegram.callbacks import OpenConsole, decode, encode
from bot.telegram.handlers.care_team import OPEN_PRIVATE_CHAT
from db.models import AuditEntry, SignInLink, StaffRole, Team
from tests.fixtures.journey import SURGERY, Journey, local, open_journey

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")
PUBLIC_URL = "https://eras.example-hospital.org"


async def _red_flag(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "soaked"):
        await journey.answer(maria, choice)


def _console_button(message: dict[str, Any]) -> dict[str, Any]:
    rows = message["reply_markup"]["inline_keyboard"]
    found = [b for row in rows for b in row if b["text"] == "Open console"]
    assert len(found) == 1, rows
    return found[0]


async def _press(journey: Journey, person: Person, data: str) -> dict[str, Any] | None:
    card = journey.card()
    pressed = journey.sandbox.press_button(person, card, data, chat=journey.ward)
    await journey.settle()
    return journey.sandbox.callback_answer(pressed)


async def _spine_id(journey: Journey) -> int:
    async with journey.runtime.sessions() as session:
        team_id = await session.scalar(select(Team.id).where(Team.name == "Spine"))
    assert team_id is not None
    return team_id


async def _links(journey: Journey) -> int:
    async with journey.runtime.sessions() as session:
        return len(list(await session.scalars(select(SignInLink))))


def _sign_in_links(journey: Journey, person: Person) -> list[str]:
    return [text for text in journey.texts(person) if SIGN_IN_PATH in text]


async def test_the_card_asks_the_bot_and_carries_no_token(journey: Journey) -> None:
    await journey.staff_member("Ana")
    await _red_flag(journey)
    button = _console_button(journey.card())
    assert decode(button["callback_data"]) == OpenConsole(await _spine_id(journey))
    assert "login_url" not in button
    assert not any(
        SIGN_IN_PATH in m.get("text", "") for m in journey.sandbox.messages_to(journey.ward)
    )


async def test_a_team_member_gets_a_sign_in_link_in_their_private_chat(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    before = len(journey.sandbox.messages_to(journey.ward))
    answer = await _press(journey, ana, encode(OpenConsole(await _spine_id(journey))))
    assert answer is not None and answer["text"] == LINK_SENT
    [text] = _sign_in_links(journey, ana)
    assert "valid for 5 minutes and once" in text
    assert len(journey.sandbox.messages_to(journey.ward)) == before  # nothing in the group
    assert await _links(journey) == 1


@pytest.mark.parametrize("who", ["another team's nurse", "a stranger", "a removed nurse"])
async def test_anyone_else_is_refused_and_gets_no_link(journey: Journey, who: str) -> None:
    await journey.staff_member("Ana")
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(
                name="Cervical",
                chat_id=None,
                timezone="Europe/Madrid",
                created_at=journey.clock.now(),
            )
        )
    if who == "another team's nurse":
        presser = await journey.staff_member("Olga", team="Cervical")
    elif who == "a stranger":
        presser = journey.sandbox.user("Eve")
        journey.ward.add_member(presser)
        journey.sandbox.send_text(presser, "/start")
    else:
        presser = await journey.staff_member("Ben")
        async with journey.runtime.sessions.begin() as session:
            await remove_staff(session, "Ben", now=journey.clock.now(), actor="cli:test")
    await _red_flag(journey)
    answer = await _press(journey, presser, encode(OpenConsole(await _spine_id(journey))))
    assert answer is not None and answer["text"] == NOT_THIS_TEAM
    assert _sign_in_links(journey, presser) == []
    assert await _links(journey) == 0
    async with journey.runtime.sessions() as session:
        refused = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "console.link", AuditEntry.outcome == "refused"
            )
        )
        assert len(list(refused)) == 1


@pytest.mark.parametrize("data", ["forged team", "1w:x", "1w:1:2", "1w:01"])
async def test_a_forged_press_is_refused(journey: Journey, data: str) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    if data == "forged team":  # a team of which Ana is not a member
        data = encode(OpenConsole(await _spine_id(journey) + 1))
    # A modified client sends data no button carries.
    user = {"id": ana.id, "is_bot": False, "first_name": "Ana"}
    query = {"id": "forged-1", "from": user, "chat_instance": "1", "data": data}
    journey.sandbox.send_raw_update({"callback_query": {**query, "message": journey.card()}})
    await journey.settle()
    answered = journey.sandbox.ledger.calls("answerCallbackQuery")
    assert [call.params.get("text") for call in answered][-1:] != [LINK_SENT]
    if decode(data) is not None:
        assert answered[-1].params["text"] == NOT_THIS_TEAM
    assert _sign_in_links(journey, ana) == [] and await _links(journey) == 0


async def test_someone_the_bot_cannot_write_to_is_told_to_open_a_private_chat(
    journey: Journey,
) -> None:
    await journey.staff_member("Ana")
    async with journey.runtime.sessions.begin() as session:
        carla = journey.sandbox.user("Carla")  # never wrote to the bot
        journey.ward.add_member(carla)
        await add_staff(
            session,
            name="Carla",
            role=StaffRole.NURSE,
            team_name="Spine",
            on_call=False,
            telegram_id=carla.id,
            now=journey.clock.now(),
            actor="cli:test",
        )
    await _red_flag(journey)
    answer = await _press(journey, carla, encode(OpenConsole(await _spine_id(journey))))
    assert answer is not None and answer["text"] == OPEN_PRIVATE_CHAT
    assert _sign_in_links(journey, carla) == []


@pytest.fixture
async def login_journey(database_url: str) -> AsyncIterator[Journey]:
    async with open_journey(database_url, public_url=PUBLIC_URL, telegram_login=True) as journey:
        yield journey


async def test_with_the_domain_set_the_card_and_digest_carry_a_login_url(
    login_journey: Journey,
) -> None:
    journey = login_journey
    await journey.staff_member("Ana")
    await _red_flag(journey)
    button = _console_button(journey.card())
    assert button["login_url"]["url"] == PUBLIC_URL + TELEGRAM_SIGN_IN_PATH
    assert "callback_data" not in button
    await journey.at(local(SURGERY + timedelta(days=2), 8, "Europe/Madrid"))
    digest = next(
        m
        for m in reversed(journey.sandbox.messages_to(journey.ward))
        if m.get("text", "").startswith("Daily digest")
    )
    assert _console_button(digest)["login_url"]["url"] == PUBLIC_URL + TELEGRAM_SIGN_IN_PATH
    assert not any(
        SIGN_IN_PATH in m.get("text", "") for m in journey.sandbox.messages_to(journey.ward)
    )


async def test_the_digest_offers_the_private_link_without_the_domain(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    await journey.at(local(SURGERY + timedelta(days=2), 8, "Europe/Madrid"))
    digest = next(
        m
        for m in reversed(journey.sandbox.messages_to(journey.ward))
        if m.get("text", "").startswith("Daily digest")
    )
    data = _console_button(digest)["callback_data"]
    pressed = journey.sandbox.press_button(ana, digest, data, chat=journey.ward)
    await journey.settle()
    assert journey.sandbox.callback_answer(pressed)["text"] == LINK_SENT  # type: ignore[index]
    assert len(_sign_in_links(journey, ana)) == 1


async def test_a_link_telegram_would_not_take_at_once_follows_through_the_outbox(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    journey.sandbox.fail_next(
        "sendMessage", chat_id=ana.chat_id, error=TooManyRequests(retry_after=1)
    )
    answer = await _press(journey, ana, encode(OpenConsole(await _spine_id(journey))))
    assert answer is not None and answer["text"] == LINK_SENT
    await journey.at(journey.clock.now() + timedelta(seconds=2))
    links = _sign_in_links(journey, ana)
    assert len(links) == 1 and await _links(journey) == 1  # one link, issued once
    refused = [c for c in journey.sandbox.ledger.calls("sendMessage") if c.status == 429]
    assert len(refused) == 1
