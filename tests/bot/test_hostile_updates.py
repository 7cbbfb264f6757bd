"""Updates the fuzz tests found trouble with, kept as plain cases: each arrives through the
sandbox and the poller, as in production, and is handled without a handler failing."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.i18n import t
from bot.telegram.handlers.care_team import NOT_VALID
from db.models import Alert, AlertStatus, InboxUpdate, Patient
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def inbox(journey: Journey) -> list[InboxUpdate]:
    async with journey.runtime.sessions() as session:
        return list(await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id)))


async def test_text_postgresql_cannot_hold_is_stored_with_replacement_characters(
    journey: Journey, caplog: pytest.LogCaptureFixture
) -> None:
    """JSON may escape a NUL or half a surrogate pair; jsonb refuses both, and one such
    update would have failed every poll from then on."""
    eve = journey.sandbox.user("Eve")
    for text in ("\x00", "half a pair \ud800", "/start \udfff\x00"):
        journey.sandbox.send_text(eve, text)
    await journey.settle()

    stored = [row.payload["message"]["text"] for row in await inbox(journey)]
    assert stored == ["\ufffd", "half a pair \ufffd", "/start \ufffd\ufffd"]
    assert journey.texts(eve) == [
        t("en", "start_without_link"),
        t("en", "start_without_link"),
        t("en", "start_link_invalid"),
    ]
    assert journey.sandbox.pending_updates() == []  # confirmed: polling goes on
    assert failures(caplog) == []


async def test_an_alert_button_with_other_digits_or_too_long_an_id_is_not_valid(
    journey: Journey, caplog: pytest.LogCaptureFixture
) -> None:
    """ "²" passes str.isdigit() and then fails int(); "١" is a 1 in Arabic script; ten
    digits do not fit PostgreSQL's id column. None of them is an id the bot wrote."""
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "soaked"):
        await journey.answer(maria, choice)
    card = journey.card()
    forged = ["k:²", "k:١", "k:１", "k:9999999999", "k:0000000001", "r:²", "o:١:advice"]
    for data in forged:
        journey.sandbox.send_raw_update(
            {
                "callback_query": {
                    "id": data,
                    "from": ana.as_user(),
                    "chat_instance": "ward",
                    "message": card,
                    "data": data,
                }
            }
        )
    await journey.settle()

    answers = journey.sandbox.ledger.calls("answerCallbackQuery")[-len(forged) :]
    assert [call.params.get("text") for call in answers] == [NOT_VALID] * len(forged)
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(Alert.status)) is AlertStatus.OPEN
    assert failures(caplog) == []


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "x"}


def _message(sender_id: int = 5, **fields: Any) -> dict[str, Any]:
    chat = {"id": 5, "type": "private", "first_name": "x"}
    message = {"message_id": 1, "date": 1_772_460_000, "chat": chat, "from": _user(sender_id)}
    return {"message": message | fields}


@pytest.mark.parametrize(
    ("update", "why"),
    [
        (_message(chat=None, text="hello"), "a message without a proper chat"),
        (
            _message(chat={"id": "5", "type": "private"}, text="hi"),
            "a message without a proper chat",
        ),
        (_message(chat={"id": 5, "type": 7}, text="hi"), "a message without a proper chat"),
        (_message(text=37), "text that is not text"),
        (
            _message(text="/help", entities=[{"type": "bot_command", "offset": 0, "length": "5"}]),
            "a text entity without a proper type, offset or length",
        ),
        (_message(sender_id=2**64, text="/help"), "a sender without a proper id"),
        (
            {"callback_query": {"id": "1", "chat_instance": "x", "data": "k:1"}},
            "a button press without a sender",
        ),
        (
            {"callback_query": {"id": "1", "from": _user(5), "chat_instance": "x", "data": 7}},
            "a button press without a sender or with data that is not text",
        ),
        (  # python-telegram-bot files every update by its chat's id, which must hash
            {
                "my_chat_member": {
                    "chat": {"id": [], "type": "group", "title": ""},
                    "from": _user(5),
                    "date": 1_772_460_000,
                    "old_chat_member": {"status": "left", "user": _user(6)},
                    "new_chat_member": {"status": "member", "user": _user(6)},
                }
            },
            "a chat without a proper id or type",
        ),
    ],
)
async def test_an_update_without_what_telegram_always_sends_is_set_aside(
    journey: Journey, caplog: pytest.LogCaptureFixture, update: dict[str, Any], why: str
) -> None:
    journey.sandbox.send_raw_update(update)
    await journey.settle()

    (row,) = await inbox(journey)
    assert row.processed_at is not None
    assert row.error is not None and row.error.startswith(f"malformed update: {why}")
    assert failures(caplog) == []


async def test_a_time_zone_that_is_a_folder_or_too_long_is_asked_again(
    journey: Journey, caplog: pytest.LogCaptureFixture
) -> None:
    """The zone database is a tree of files: "Europe" is a folder and a long name is too
    long for a file name, and reading either failed the handler."""
    maria, _ = await journey.enrolled_patient()
    for typed in ("Europe", "Europe/" + "x" * 300, "localtime"):
        await journey.type(maria, "/timezone")
        await journey.type(maria, typed)
        assert journey.texts(maria)[-1] == t("en", "timezone_unknown", given=typed[:40])
    await journey.type(maria, "Asia/Kolkata")
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(Patient.timezone)) == "Asia/Kolkata"
    assert failures(caplog) == []
