"""Scripted patients: they link, consent, and answer their check-in as people do.

Each patient reads the messages the sandbox put in their chat and acts through the
sandbox's control API only. Most answer at once; some report a red flag, some press
buttons twice or have their update delivered twice, some answer only after the reminder
or after the window closed, and some never answer.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.i18n import t
from bot.sandbox.serving.client import SandboxClient
from bot.telegram.callbacks import AnswerChoice, Consent, decode, encode
from tests.chaos.answers import RED_FLAGS, Questionnaire
from tests.chaos.calls import CallFollower

JSON = dict[str, Any]
THINK_SECONDS = (0.3, 2.0)  # how long a patient looks at a question before answering
LATE_FALLBACK_SECONDS = 30.0  # a late patient answers this long after the reminder was due
AFTER_WINDOW_SECONDS = 5.0


class Behaviour(StrEnum):
    PROMPT = "prompt"  # answers every question at once
    RED_FLAG = "red_flag"  # answers, and reports a red flag
    TWICE = "twice"  # answers, but presses twice or has an update delivered twice
    LATE = "late"  # answers only once reminded
    AFTER_WINDOW = "after_window"  # answers after the check-in's window closed
    SILENT = "silent"  # never answers


MIX = {
    Behaviour.PROMPT: 0.55,
    Behaviour.RED_FLAG: 0.10,
    Behaviour.TWICE: 0.12,
    Behaviour.LATE: 0.10,
    Behaviour.AFTER_WINDOW: 0.05,
    Behaviour.SILENT: 0.08,
}


def assign_behaviours(count: int, rng: random.Random) -> list[Behaviour]:
    """Behaviours in MIX's proportions (at least one of each from six patients), shuffled."""
    behaviours = [b for b, share in MIX.items() for _ in range(max(1, round(share * count)))]
    while len(behaviours) > count:
        behaviours.remove(Behaviour.PROMPT if Behaviour.PROMPT in behaviours else behaviours[0])
    behaviours += [Behaviour.PROMPT] * (count - len(behaviours))
    rng.shuffle(behaviours)
    return behaviours


@dataclass
class Seat:
    """One enrolled patient and their Telegram account in the sandbox."""

    ref: str
    user_id: int
    chat_id: int
    episode_id: int
    token: str
    behaviour: Behaviour
    red_flag: str | None = None  # the item they report a red flag at


@dataclass(frozen=True)
class SentAnswer:
    """One answer a patient gave: the question it answered and the update that carried it."""

    checkin_id: int
    question_id: str
    update_id: int
    at: float  # wall-clock time


@dataclass(frozen=True)
class Window:
    """The times of the patient's check-in, as the harness planned them."""

    checkin_id: int
    remind_at: datetime
    missed_at: datetime


@dataclass
class ScriptedPatient:
    seat: Seat
    client: SandboxClient
    follower: CallFollower
    questionnaire: Questionnaire
    rng: random.Random
    answers: list[SentAnswer] = field(default_factory=list)
    duplicates_sent: int = 0  # presses repeated and updates delivered again, on purpose
    last_action: float = 0.0  # time.monotonic() of the patient's last action
    done: bool = False  # saw the end of the check-in
    _answered: set[str] = field(default_factory=set)
    _reminded: bool = False

    def __post_init__(self) -> None:
        self._inbox = self.follower.inbox(self.seat.chat_id)

    async def link(self) -> None:
        """Open the personal link and consent, as a patient does on the day of discharge."""
        await self._act(self.client.send_text(self.seat.user_id, f"/start {self.seat.token}"))
        while True:
            message = await self._inbox.get()
            agree = Consent(self.seat.episode_id, agreed=True)
            consent = next((d for _, d in buttons(message) if decode(d) == agree), None)
            if consent is not None:
                await self._act(
                    self.client.press_button(self.seat.user_id, message["message_id"], consent)
                )
                return

    async def follow(self, window: Window) -> None:
        """Answer the check-in as the behaviour says, until it is over (or forever)."""
        question: JSON | None = None  # the newest question not answered yet
        while True:
            try:
                async with asyncio.timeout(1.0):
                    message = await self._inbox.get()
            except TimeoutError:
                message = None
            if message is not None:
                question = self._read(message, window) or question
            if question is not None and self._may_answer(window):
                await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))
                await self._answer(question, window.checkin_id)
                question = None

    def _read(self, message: JSON, window: Window) -> JSON | None:
        """The message if it asks a question still to answer; notes reminders and the end."""
        text = message.get("text", "")
        if text == t("en", "reminder"):
            self._reminded = True
        if text.startswith((t("en", "checkin_complete"), t("en", "checkin_late_answer"))):
            self.done = True
        asked = question_of(message, self.questionnaire)
        if asked is None:
            return None
        checkin_id, question_id = asked
        if checkin_id not in (None, window.checkin_id) or question_id in self._answered:
            return None
        return message

    def _may_answer(self, window: Window) -> bool:
        now = datetime.now(UTC)
        match self.seat.behaviour:
            case Behaviour.SILENT:
                return False
            case Behaviour.LATE:
                fallback = window.remind_at.timestamp() + LATE_FALLBACK_SECONDS
                return self._reminded or now.timestamp() > fallback
            case Behaviour.AFTER_WINDOW:
                return now.timestamp() > window.missed_at.timestamp() + AFTER_WINDOW_SECONDS
            case _:
                return True

    async def _answer(self, message: JSON, checkin_id: int) -> None:
        asked = question_of(message, self.questionnaire)
        assert asked is not None
        question_id = asked[1]
        if self.questionnaire.is_typed(question_id):
            value = self.questionnaire.typed_value(question_id)
            update = await self._act(self.client.send_text(self.seat.user_id, value))
        else:
            choices = [p.choice for p in answer_presses(message) if isinstance(p.choice, str)]
            choice = self.questionnaire.choose(question_id, choices, self.seat.red_flag)
            data = encode(AnswerChoice(checkin_id, question_id, choice))
            update = await self._act(
                self.client.press_button(self.seat.user_id, message["message_id"], data)
            )
        self._answered.add(question_id)
        self.answers.append(SentAnswer(checkin_id, question_id, update["update_id"], time.time()))
        if self.seat.behaviour is Behaviour.TWICE and self.rng.random() < 0.5:
            await self._again(message, update, typed=self.questionnaire.is_typed(question_id))

    async def _again(self, message: JSON, update: JSON, *, typed: bool) -> None:
        """The same answer a second time: the same press again, or the same update again
        (as Telegram does when it was not confirmed)."""
        if typed or self.rng.random() < 0.5:
            await self._act(self.client.send_raw_update(update))
        else:
            data = update["callback_query"]["data"]
            await self._act(
                self.client.press_button(self.seat.user_id, message["message_id"], data)
            )
        self.duplicates_sent += 1

    async def _act(self, action: Any) -> JSON:
        self.last_action = time.monotonic()
        result: JSON = await action
        return result


def buttons(message: JSON) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]


def answer_presses(message: JSON) -> list[AnswerChoice]:
    """What the message's buttons answer, if it asks a question."""
    presses = [decode(data) for _, data in buttons(message)]
    return [press for press in presses if isinstance(press, AnswerChoice)]


def question_of(message: JSON, questionnaire: Questionnaire) -> tuple[int | None, str] | None:
    """(check-in id, question id) of a question message; the id is None for a typed one."""
    for press in answer_presses(message):
        return press.checkin_id, press.question_id
    typed = questionnaire.typed_question(message.get("text", ""))
    return (None, typed) if typed is not None else None


def red_flag_for(index: int) -> str:
    """Red-flag patients take turns at the flags they report."""
    flags = sorted(RED_FLAGS)
    return flags[index % len(flags)]
