"""``eras demo``: the real bot against the local Telegram sandbox, with a simulated clock.

A patient is enrolled after minimally invasive lumbar surgery, opens the link, consents,
gets the POD 1 check-in at 09:00 local time, mistypes a temperature (and is asked again),
reports a dressing soaked with blood, is told what to do, and the care team's chat gets the
alert, which the nurse acknowledges and, after phoning her, resolves. POD 2 is calm. On the
evening of POD 2 her wound leaks clear fluid and she feels hot: she reports a concern,
reads the emergency signs first, answers the warning signs, tells the team in her own words,
and is told when to expect a reply, while the team's chat gets the card.
Everything runs on a throw-away SQLite database; both chats are printed as they happen.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app.runtime import BotRuntime
from bot.checkins.conversation import open_checkin
from bot.checkins.history import protocol_of
from bot.clock import FakeClock
from bot.delivery.pacing import Pacer
from bot.patients.enrolment.enrol import enrol
from bot.sandbox import Person, Sandbox, SandboxServer
from bot.settings import Settings
from bot.telegram.callbacks import AnswerChoice, Consent, Press, Setting, SettingsChoice, decode
from db.models import Staff, StaffRole, Team, TeamMember
from flows import CheckInState, next_question
from migrations.runner import upgrade_database

SURGERY = date(2026, 3, 2)
ZONE = "Europe/Madrid"
# What the scripted patient answers, by question; a list is answered in turn.
POD1 = {
    "red_flags": ["none"],
    "bladder": ["normal"],
    "wound_bleeding": ["soaked"],
    "pain_back": ["5"],
    "pain_leg": ["3"],
    "pain_control": ["partly"],
    "walking": ["in_room"],
    "temperature": ["thirty seven", "37,4"],
    "wound_fluid": ["none"],
    "wound_redness": ["none"],
    "sleepy": ["awake"],
    "warning_signs": ["none"],
    "fluids_down": ["yes"],
    "bowels_days": ["1"],
    "opioid_use": ["less"],
}
POD2 = {
    **POD1,
    "wound_bleeding": ["dry"],
    "pain_back": ["3"],
    "pain_control": ["controlled"],
    "walking": ["indoors"],
    "temperature": ["36.9"],
}
# A wet wound and a fever: a protocol whose concern screen asks for them scores them; any
# other question of the screen gets its first, reassuring, button.
CONCERN = {
    "red_flags": ["none"],
    "bladder": ["normal"],
    "wound_bleeding": ["dry"],
    "wound_fluid": ["clear_watery"],
    "temperature": ["38.3"],
}
CONCERN_WORDS = "Since this morning clear watery fluid keeps leaking from my wound, and I feel hot."


def _local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def _answers(press: Press | None, question: str, reply: str) -> bool:
    return (
        isinstance(press, AnswerChoice) and press.question_id == question and press.choice == reply
    )


class Demo:
    """Plays the patient and prints both chats as they happen."""

    def __init__(
        self,
        sandbox: Sandbox,
        runtime: BotRuntime,
        echo: Callable[[str], None],
        chats: dict[str, Any],
    ) -> None:
        self.sandbox, self.runtime, self.echo, self.chats = sandbox, runtime, echo, chats
        self._shown = dict.fromkeys(chats, 0)

    async def settle(self) -> None:
        """Let the bot handle what is waiting, send what it wrote, and show the bot's words."""
        for _ in range(50):
            report = await self.runtime.step()
            if not (report.updates or report.sent or report.tick.sent):
                break
        bot_id = self.sandbox.bot().id
        for title, chat in self.chats.items():
            history = self.sandbox.chat_history(chat)
            for message in history[self._shown[title] :]:
                if message.get("from", {}).get("id") == bot_id:
                    self.echo(self.line(title, message))
            self._shown[title] = len(history)

    def line(self, title: str, message: dict[str, Any]) -> str:
        indent = "\n" + " " * 16 + "│ "
        text = (message.get("text") or "").replace("\n", indent)
        buttons = " ".join(f"[{label}]" for label, _ in _buttons(message))
        return f"{title:>15} │ {text}" + (f"{indent}  {buttons}" if buttons else "")

    def act(self, patient: Person, what: str) -> None:
        self.echo(f"{patient.first_name:>15} ▸ {what}")

    def offered(self, patient: Person, press: Press) -> bool:
        """Whether the patient's last message has this button."""
        message = self.sandbox.messages_to(patient)[-1]
        return any(decode(d) == press for _, d in _buttons(message))

    async def press(self, patient: Person, press: Press) -> None:
        message = self.sandbox.messages_to(patient)[-1]
        label, data = next((text, d) for text, d in _buttons(message) if decode(d) == press)
        self.act(patient, f"[{label}]")
        self.sandbox.press_button(patient, message, data)
        await self.settle()

    async def type(self, patient: Person, text: str) -> None:
        self.act(patient, text)
        self.sandbox.send_text(patient, text)
        await self.settle()

    async def current_question(self, episode_id: int) -> str | None:
        async with self.runtime.sessions() as session:
            row = await open_checkin(session, episode_id, self.runtime.clock.now())
            if row is None:
                return None
            protocol = await protocol_of(session, self.runtime.catalogue, row)
            asked = next_question(protocol, CheckInState.from_json(row.conversation or {}), "en")
            return asked.id if asked is not None else None

    async def answer_checkin(
        self, patient: Person, episode_id: int, script: dict[str, list[str]]
    ) -> None:
        replies = {question: list(answers) for question, answers in script.items()}
        while (question := await self.current_question(episode_id)) is not None:
            presses = [decode(d) for _, d in _buttons(self.sandbox.messages_to(patient)[-1])]
            answers = replies.get(question)
            if answers is None:  # not in the script: the first button
                await self.press(patient, next(p for p in presses if p is not None))
                continue
            reply = answers.pop(0) if len(answers) > 1 else answers[0]
            press = next((p for p in presses if _answers(p, question, reply)), None)
            if press is not None:
                await self.press(patient, press)
            else:
                await self.type(patient, reply)


async def _nurse_handles_the_alert(demo: Demo, nurse: Person, ward: Any, clock: FakeClock) -> None:
    """The nurse on the ward acknowledges the card a few minutes later, phones the patient
    and then resolves the alert with its outcome."""
    clock.set(clock.now() + timedelta(minutes=4))
    card = next(m for m in reversed(demo.sandbox.messages_to(ward)) if _buttons(m))
    demo.act(nurse, "[Acknowledge] on the card in the ward's chat")
    await _press_on_card(demo, nurse, ward, card, "Acknowledge")
    clock.set(clock.now() + timedelta(minutes=20))
    demo.act(nurse, "phones Maria, then [Resolve] → [Advice given] → [No complication]")
    for label in ("Resolve", "Advice given", "No complication"):
        await _press_on_card(demo, nurse, ward, card, label)
    demo.echo(demo.line("card now", _current(demo, ward, card)))


async def _press_on_card(
    demo: Demo, nurse: Person, ward: Any, card: dict[str, Any], label: str
) -> None:
    shown = _current(demo, ward, card)
    data = next(d for text, d in _buttons(shown) if text == label)
    demo.sandbox.press_button(nurse, shown, data, chat=ward)
    await demo.settle()
    if label == "Acknowledge":
        demo.echo(demo.line("card now", _current(demo, ward, card)))


def _current(demo: Demo, ward: Any, card: dict[str, Any]) -> dict[str, Any]:
    """The card as it is now, after its edits."""
    return next(m for m in demo.sandbox.messages_to(ward) if m["message_id"] == card["message_id"])


def sandboxed_runtime(
    sandbox: Sandbox,
    database_url: str,
    clock: FakeClock,
    *,
    over_http: bool = False,
    **more: Any,
) -> BotRuntime:
    """The real bot on the sandbox with a simulated clock (the demo's and the tests'):
    in this process through the sandbox's transport, or ``over_http`` to a served one.
    ``more``: other settings, by name."""
    settings = Settings(
        database_url=database_url,
        telegram_token=sandbox.token,
        telegram_api_url=sandbox.url,
        emergency_number="112",
        # The demo's database goes with it: a key of its own is enough.
        audit_key=secrets.token_hex(32),
        bot_username=sandbox.bot_username,
        **more,
    )
    # A scripted patient answers the instant a question arrives, which no person does; at
    # Telegram's pace of one message a second per chat, it would mostly wait.
    pacer = Pacer(private_interval=0.02, monotonic=clock.monotonic)
    transport = None if over_http else sandbox.transport()
    return BotRuntime(settings, clock, poll_timeout=0, pacer=pacer, transport=transport)


# What runs once the story is told, while the bot is still up (``eras demo --console``).
Afterwards = Callable[["Demo"], Awaitable[None]]


async def run_demo(echo: Callable[[str], None], afterwards: Afterwards | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.sqlite3'}"
        await upgrade_database(url)
        async with SandboxServer() as sandbox:
            await _play(sandbox, url, echo, afterwards)


async def _play(
    sandbox: Sandbox, url: str, echo: Callable[[str], None], afterwards: Afterwards | None
) -> None:
    nurse = sandbox.user("Ana")
    ward = sandbox.group("Spine ward", members=(nurse,))
    ana = Staff(name="Ana", telegram_user_id=nurse.id, created_at=_local(SURGERY, 15))
    clock = FakeClock(_local(SURGERY, 15))
    runtime = sandboxed_runtime(sandbox, url, clock, over_http=True)
    await runtime.start()
    try:
        async with runtime.sessions.begin() as session:
            team = Team(
                name="Spine ward", chat_id=ward.chat_id, timezone=ZONE, created_at=clock.now()
            )
            session.add_all([team, ana])
            await session.flush()
            session.add(
                TeamMember(team_id=team.id, staff_id=ana.id, role=StaffRole.NURSE, on_call=True)
            )
            enrolled = await enrol(
                session,
                runtime.catalogue,
                protocol_id="spine-miss-lumbar",
                team_name="Spine ward",
                ref="DEMO-001",
                surgery_date=SURGERY,
                discharge_date=SURGERY + timedelta(days=1),
                time_zone=ZONE,
                language="en",
                procedure="MIS lumbar discectomy",
                now=clock.now(),
                actor="cli:demo",
            )
        echo("An admin enrols patient DEMO-001 after an MIS lumbar discectomy (surgery on")
        echo("2 March, home on 3 March, Europe/Madrid) and hands over the one-time link.\n")
        patient = sandbox.user("Maria", language_code="en")
        demo = Demo(sandbox, runtime, echo, {"bot → Maria": patient, "bot → ward": ward})
        demo.act(patient, "opens the link on her discharge sheet")
        sandbox.open_deep_link(patient, enrolled.token)
        await demo.settle()
        await demo.press(patient, Consent(enrolled.episode_id, agreed=True))
        await demo.press(patient, SettingsChoice(Setting.OK))
        # Home on POD 1: that evening's check at 18:00, then the daily check-in of POD 2.
        for pod, hour, script in ((1, 18, POD1), (2, 9, POD2)):
            clock.set(_local(SURGERY + timedelta(days=pod), hour))
            moment = clock.now().astimezone(ZoneInfo(ZONE))
            echo(f"\n— {moment:%A %d %B, %H:%M} in Madrid: POD {pod} —")
            await demo.settle()
            await demo.answer_checkin(patient, enrolled.episode_id, script)
            if pod == 1:
                await _nurse_handles_the_alert(demo, nurse, ward, clock)
        clock.set(_local(SURGERY + timedelta(days=2), 19))
        echo("\n— Wednesday 04 March, 19:00 in Madrid: POD 2, the evening —")
        echo("Maria's dressing is wet with clear fluid and she feels hot: she asks for help.\n")
        await demo.type(patient, "I have a concern")
        await demo.answer_checkin(patient, enrolled.episode_id, CONCERN)
        card = next(m for m in reversed(demo.sandbox.messages_to(ward)) if _buttons(m))
        await demo.type(patient, CONCERN_WORDS)
        demo.echo(demo.line("card now", _current(demo, ward, card)))  # her words on it
        if afterwards is not None:
            await afterwards(demo)
    finally:
        await runtime.stop()
