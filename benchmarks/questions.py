"""Finding, in the sandbox's ledger, the questions the bot asked each patient."""

from __future__ import annotations

import asyncio
import time

from benchmarks.telegram import JSON, Telegram
from bot.telegram.callbacks import AnswerChoice, decode, encode

WAIT = 120.0  # seconds to give the bot before calling a message missing


async def wait_for_questions(
    telegram: Telegram, chats: set[int], question: str, after: int
) -> dict[int, tuple[int, int]]:
    """Wait until every chat got ``question``; its message id and check-in id, by chat."""
    found: dict[int, tuple[int, int]] = {}
    give_up = time.monotonic() + WAIT + len(chats) / 10
    while len(found) < len(chats):
        if time.monotonic() > give_up:
            raise TimeoutError(f"{len(chats) - len(found)} patients never got {question!r}")
        for call in await telegram.calls("sendMessage", after=after):
            after = max(after, call["seq"])
            asked = asked_in(call, question)
            if call["chat_id"] in chats and asked is not None:
                found[call["chat_id"]] = (call["result"]["message_id"], asked)
        await asyncio.sleep(0.2)
    return found


def asked_in(call: JSON, question: str) -> int | None:
    """The check-in id if this message asks ``question`` (its buttons say so)."""
    if call["outcome"] != "ok":
        return None
    rows = (call["result"].get("reply_markup") or {}).get("inline_keyboard", [])
    for row in rows:
        for button in row:
            press = decode(button.get("callback_data", ""))
            if isinstance(press, AnswerChoice) and press.question_id == question:
                return press.checkin_id
    return None


def answer(checkin_id: int, question: str, choice: str) -> str:
    """The data of the button that answers ``question`` with ``choice``."""
    return encode(AnswerChoice(checkin_id, question, choice))
