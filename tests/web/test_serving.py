"""The console as operators start it: beside the bot in `eras run`, alone in `eras web`,
and a sign-in link printed by `eras staff login-link`. Real processes and sockets on this
machine (the point here is the serving itself)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.i18n import t
from bot.sandbox import SandboxServer
from bot.staff.registry import add_staff
from db.engine import create_engine, session_factory
from db.models import StaffRole, Team
from migrations.runner import upgrade_database

HEALTH_TOKEN = "health-token-of-the-ward-monitor-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(url: str, **settings: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ERAS_")},
        "ERAS_DATABASE_URL": url,
        "ERAS_EMERGENCY_NUMBER": "112",
        "ERAS_AUDIT_KEY": "test-audit-key-of-at-least-32-characters",
        **settings,
    }


async def _answering(base: str, process: asyncio.subprocess.Process) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base)
    for _ in range(400):
        assert process.returncode is None, "the process stopped"
        try:
            await client.get("/health")
            return client
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    raise AssertionError("the console never answered")


async def _stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    return stderr.decode()


async def test_eras_run_serves_the_console_and_health_beside_the_polling_bot(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    port = _free_port()
    async with SandboxServer() as sandbox:
        env = _environment(
            url,
            ERAS_TELEGRAM_TOKEN=sandbox.token,
            ERAS_TELEGRAM_API_URL=sandbox.url,
            ERAS_HTTP_LISTEN=f"127.0.0.1:{port}",
            ERAS_HEALTH_TOKEN=HEALTH_TOKEN,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            client = await _answering(f"http://127.0.0.1:{port}", process)
            try:
                bearer = {"Authorization": f"Bearer {HEALTH_TOKEN}"}
                health = await client.get("/health", headers=bearer)
                assert "outbox_backlog" in health.json()
                home = await client.get("/")
                assert (home.status_code, home.headers["location"]) == (303, "/signed-out")
                assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
            finally:
                await client.aclose()
            stranger = sandbox.user("Eve")
            sandbox.send_text(stranger, "/start")  # and the bot polls all the while
            reply = await sandbox.wait_for_message(stranger, timeout=20)
            assert reply["text"] == t("en", "start_without_link")
        finally:
            output = await _stop(process)
        assert sandbox.token not in output


async def test_a_taken_port_leaves_the_polling_bot_running_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with SandboxServer() as sandbox:
            env = _environment(
                url,
                ERAS_TELEGRAM_TOKEN=sandbox.token,
                ERAS_TELEGRAM_API_URL=sandbox.url,
                ERAS_HTTP_LISTEN=f"127.0.0.1:{port}",
            )
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=env, stderr=asyncio.subprocess.PIPE
            )
            try:
                stranger = sandbox.user("Eve")
                sandbox.send_text(stranger, "/start")
                reply = await sandbox.wait_for_message(stranger, timeout=20)
                assert reply["text"] == t("en", "start_without_link")
            finally:
                output = await _stop(process)
    assert f"the console cannot listen on 127.0.0.1:{port}" in output


async def test_eras_web_serves_the_console_alone_and_an_admins_link_signs_in(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine).begin() as session:
            session.add(Team(name="Spine", chat_id=None, timezone="Europe/Madrid", created_at=now))
            await session.flush()
            await add_staff(
                session,
                name="Ana",
                role=StaffRole.NURSE,
                team_name="Spine",
                on_call=False,
                telegram_id=4242,
                now=now,
                actor="cli:test",
            )
    finally:
        await engine.dispose()
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    env = _environment(url, ERAS_HTTP_LISTEN=f"127.0.0.1:{port}", ERAS_PUBLIC_URL=public)
    printed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "staff",
        "login-link",
        "ana",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await printed.communicate()
    assert printed.returncode == 0
    link = out.decode().split()[-1]
    assert link.startswith(f"{public}/sign-in/")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "web", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        browser = await _answering(public, process)
        try:
            signed = await browser.post(link.removeprefix(public))
            assert signed.status_code == 303
            home = await browser.get("/")
            assert home.status_code == 200 and "Ana (nurse)" in home.text
        finally:
            await browser.aclose()
    finally:
        output = await _stop(process)
    assert link.split("/")[-1] not in output  # the link's token is in no log
