"""Two bot processes in webhook mode on one PostgreSQL database: each check-in goes once.

Both tick the dispatcher and both run an outbox sender against the same rows; the claims
(``FOR UPDATE SKIP LOCKED`` and leases) must hand each check-in, and each message, to one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.patients.enrolment.enrol import enrol
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.sandbox import Sandbox, SandboxServer
from db.engine import create_engine, session_factory
from db.models import CheckIn, CheckInStatus, Episode, EpisodeStatus, Patient, Team

PATIENTS = 40
SECRET = "two-processes-one-database-0123"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _zone_where_the_checkin_just_fell_due(now: datetime) -> str:
    """A fixed-offset zone where it is now 10 o'clock: the 09:00 check-in is due, and its
    reminder (4 h later) is not."""
    for offset in range(-11, 15):
        if (now.hour + offset) % 24 == 10:
            return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    raise AssertionError("every hour has such a zone")


async def _cohort(url: str, sandbox: Sandbox) -> dict[int, int]:
    """Patients whose POD 1 check-in fell due this morning; their chat id by episode."""
    now = datetime.now(UTC)
    zone = _zone_where_the_checkin_just_fell_due(now)
    local_today = now.astimezone(ZoneInfo(zone))
    catalogue = ProtocolCatalogue(load_protocols(None))
    engine = create_engine(url)
    chats: dict[int, int] = {}
    try:
        async with session_factory(engine).begin() as session:
            session.add(Team(name="Spine", chat_id=-4242, timezone=zone, created_at=now))
            await session.flush()
            for n in range(PATIENTS):
                person = sandbox.user(f"Patient {n}")
                sandbox.send_text(person, "hello")  # a bot can only write to who wrote first
                enrolled = await enrol(
                    session,
                    catalogue,
                    protocol_id="spine-miss-lumbar",
                    team_name="Spine",
                    ref=f"P-{n:03}",
                    surgery_date=local_today.date() - timedelta(days=1),
                    discharge_date=None,
                    time_zone=zone,
                    language="en",
                    now=now,
                    actor="cli:test",
                )
                episode = await session.get_one(Episode, enrolled.episode_id)
                episode.status = EpisodeStatus.ACTIVE  # linked and consented
                patient = await session.get_one(Patient, episode.patient_id)
                patient.telegram_chat_id = person.chat_id
                chats[episode.id] = person.chat_id
    finally:
        await engine.dispose()
    return chats


async def _due_checkins_left(url: str) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.scalars(
                select(CheckIn.id).where(
                    CheckIn.pod == 1, CheckIn.status == CheckInStatus.SCHEDULED
                )
            )
            return len(list(rows))
    finally:
        await engine.dispose()


@pytest.mark.slow(seconds=25)
async def test_two_webhook_processes_send_each_checkin_exactly_once(postgres_url: str) -> None:
    database_url = postgres_url
    async with SandboxServer() as sandbox:
        chats = await _cohort(database_url, sandbox)
        base = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ERAS_")},
            "ERAS_DATABASE_URL": database_url,
            "ERAS_TELEGRAM_TOKEN": sandbox.token,
            "ERAS_TELEGRAM_API_URL": sandbox.url,
            "ERAS_EMERGENCY_NUMBER": "112",
            "ERAS_AUDIT_KEY": "test-audit-key-of-at-least-32-characters",
            "ERAS_WEBHOOK_SECRET": SECRET,
        }
        processes = []
        for _ in range(2):
            port = _free_port()
            env = {
                **base,
                "ERAS_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
                "ERAS_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            }
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "run",
                    "--webhook",
                    env=env,
                    stderr=asyncio.subprocess.PIPE,
                )
            )
        try:
            for _ in range(600):
                if await _due_checkins_left(database_url) == 0:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(6)  # a further tick of each: nothing more may go out
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
            for process in processes:
                _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
                assert process.returncode == 0, stderr.decode()[-2000:]
    first_questions = Counter(
        call.params["chat_id"]
        for call in sandbox.ledger.calls("sendMessage")
        if call.ok and str(call.params.get("text", "")).startswith("Do you have any of these")
    )
    assert sorted(first_questions) == sorted(chats.values())
    assert set(first_questions.values()) == {1}, first_questions.most_common(3)
