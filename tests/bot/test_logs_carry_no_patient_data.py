"""Canary: a patient's and a nurse's whole journey, logged at DEBUG, leaves no patient data
(and not the bot token) in any log record.

Unique values are planted: the name the patient is enrolled under, her Telegram first name
and username, her link token, what she types, the bot's token. Logging is set up with
``configure_logging``, as ``eras run`` does, at DEBUG; then the libraries that log content
are turned up to DEBUG as well, as ``echo=True`` or a debugging session would
(sqlalchemy.engine logs SQL with its parameters). Every record is then checked: its
message, its arguments, its exception; so is what the bot's own log handler wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import secrets
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.checkins import conversation as checkins
from bot.i18n import t
from bot.logs import LIBRARIES, WITHHELD, configure_logging
from bot.patients.chat import requests as patient_requests
from bot.sandbox import Person, SandboxServer
from bot.telegram.callbacks import Consent, Setting, SettingsChoice
from db.models import Alert, AlertStatus
from migrations.runner import upgrade_database
from tests.fixtures.journey import SURGERY, Journey, buttons, local, open_journey

CANARY = secrets.token_hex(4)
NAME = f"Zelda{CANARY}Quill"  # the name she is enrolled under
FIRST_NAME = f"Ximena{CANARY}"  # her Telegram account
USERNAME = f"ximena_{CANARY}"
WORDS = f"my cat {CANARY} ate it"  # what she types (echoed back when not a time zone)
BOT_TOKEN = f"7000000042:Canary{CANARY}SecretToken"
# Her answers on POD 1 (anything else: "none"): a soaked dressing is a red flag.
POD1 = {
    "bladder": "normal",
    "wound_bleeding": "soaked",
    "pain_back": "5",
    "pain_leg": "3",
    "pain_control": "partly",
    "walking": "in_room",
    "fluids_down": "yes",
    "sleepy": "awake",
}
POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


def _record_text(record: logging.LogRecord) -> str:
    parts = [str(record.msg), repr(record.args), record.exc_text or "", record.stack_info or ""]
    with contextlib.suppress(TypeError, ValueError):
        parts.append(record.getMessage())
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def _log_as_eras_run(written: io.StringIO, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("DEBUG", secrets=[BOT_TOKEN], stream=written)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)


def test_libraries_that_log_content_stay_at_warning_whatever_the_level(
    bot_log: io.StringIO,
) -> None:
    configure_logging("DEBUG", stream=bot_log)

    assert logging.getLogger().level == logging.DEBUG
    assert {name: logging.getLogger(name).level for name in LIBRARIES} == dict.fromkeys(
        LIBRARIES, logging.WARNING
    )


async def _patient_journey(journey: Journey) -> tuple[Person, str]:
    enrolment = await journey.enrol(display_name=NAME)
    maria = journey.sandbox.user(FIRST_NAME, username=USERNAME)
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    await journey.press(maria, Consent(enrolment.episode_id, agreed=True))
    await journey.press(maria, SettingsChoice(Setting.OK))
    await journey.type(maria, "/help")  # a concern, described in her words
    await journey.type(maria, WORDS)
    for choice in ("none", "normal", "dry"):
        await journey.answer(maria, choice)
    await journey.type(maria, "/timezone")
    await journey.type(maria, WORDS)  # "is not a time zone I know: <her words>"
    assert WORDS in journey.texts(maria)[-1]
    await journey.type(maria, "Europe/Madrid")
    await journey.at(POD1_9AM)
    while (asked := journey.question_id(maria)) is not None:
        if asked == "temperature":
            await journey.type(maria, WORDS)  # asked again
            await journey.type(maria, "37.2")
        elif asked == "bowels_days":
            await journey.type(maria, "1")
        else:
            await journey.answer(maria, POD1.get(asked, "none"))
    assert NAME in journey.card()["text"]
    return maria, enrolment.token


async def _nurse_handles_the_alert(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    for label in ("Acknowledge", "Resolve", "Advice given", "No complication"):
        card = journey.card()
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(ana, card, data, chat=journey.ward)
        await journey.settle()
    await journey.type(ana, "/alerts")
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(Alert.status)) is AlertStatus.RESOLVED


async def _failures_quoting_her(
    journey: Journey, maria: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler and the dispatcher fail with messages that quote her, as SQL errors quote
    their parameters."""

    def failing(*_: Any, **__: Any) -> None:
        raise RuntimeError(f"[SQL: INSERT …] [parameters: ({NAME!r}, {WORDS!r})]")

    with monkeypatch.context() as patched:
        patched.setattr(patient_requests, "status", failing)
        patched.setattr(checkins, "begin", failing)
        await journey.type(maria, "/status")
        await journey.at(local(SURGERY + timedelta(days=2), 9, "Europe/Madrid"))


async def test_a_whole_journey_logged_at_debug_leaves_no_patient_data(
    database_url: str,
    bot_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _log_as_eras_run(bot_log, caplog)
    async with open_journey(database_url, token=BOT_TOKEN) as journey:
        maria, link_token = await _patient_journey(journey)
        await _nurse_handles_the_alert(journey)
        await _failures_quoting_her(journey, maria, monkeypatch)

    records = caplog.records
    canaries = [NAME, FIRST_NAME, USERNAME, WORDS, CANARY, link_token, BOT_TOKEN]
    leaks = {(r.name, c) for r in records for c in canaries if c in _record_text(r)}
    assert sorted(leaks) == []
    assert [canary for canary in canaries if canary in bot_log.getvalue()] == []
    # Not vacuous: the run logged what a leaky set-up would have shown, and both failures.
    messages = [r.getMessage() for r in records]
    assert any(r.name.startswith("telegram") and r.msg == WITHHELD for r in records)
    assert any(r.name.startswith("sqlalchemy.engine") and r.msg == WITHHELD for r in records)
    assert any("handler failed with RuntimeError" in m for m in messages)
    assert any("could not be processed" in r.getMessage() and r.exc_text for r in records)
    assert bot_log.getvalue().count("\n") >= len(records) // 2  # the bot's handler wrote too


async def test_eras_run_at_debug_logs_neither_the_token_nor_who_wrote(tmp_path: Path) -> None:
    """The real program, as an operator runs it with ERAS_LOG_LEVEL=DEBUG."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    async with SandboxServer(token=BOT_TOKEN) as sandbox:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ERAS_")},
            "ERAS_DATABASE_URL": url,
            "ERAS_TELEGRAM_TOKEN": BOT_TOKEN,
            "ERAS_TELEGRAM_API_URL": sandbox.url,
            "ERAS_EMERGENCY_NUMBER": "112",
            "ERAS_AUDIT_KEY": "test-audit-key-of-at-least-32-characters",
            "ERAS_LOG_LEVEL": "DEBUG",
        }
        process = await _start(env)
        try:
            stranger = sandbox.user(FIRST_NAME, username=USERNAME)
            sandbox.send_text(stranger, WORDS)
            reply = await sandbox.wait_for_message(stranger, timeout=30)
            assert reply["text"] == t("en", "start_without_link")
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = await process.communicate()
    logged = stderr.decode()
    assert process.returncode == 0, logged[-2000:]
    assert "DEBUG" in logged  # it did log at DEBUG
    assert [c for c in (BOT_TOKEN, FIRST_NAME, USERNAME, WORDS, CANARY) if c in logged] == []


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, stderr=asyncio.subprocess.PIPE
    )
