"""``eras run --webhook``: updates arrive as Telegram's posts, only with the secret token."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.i18n import t
from bot.inbox.webhook import MAX_BODY, SECRET_HEADER
from bot.sandbox import SandboxServer
from db.engine import create_engine, session_factory
from db.models import InboxUpdate
from migrations.runner import upgrade_database

SECRET = "s3cret-for-the-ward-0123456789"
HEALTH_TOKEN = "health-token-of-the-ward-monitor-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _stored_updates(url: str) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count(InboxUpdate.update_id))) or 0)
    finally:
        await engine.dispose()


async def _wait_until_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError("the webhook never listened")


async def test_webhook_mode_answers_telegram_and_refuses_anyone_without_the_secret(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    hook = f"{public}/telegram/updates"  # derived from the public URL
    async with SandboxServer() as sandbox:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ERAS_")},
            "ERAS_DATABASE_URL": url,
            "ERAS_TELEGRAM_TOKEN": sandbox.token,
            "ERAS_TELEGRAM_API_URL": sandbox.url,
            "ERAS_EMERGENCY_NUMBER": "112",
            "ERAS_AUDIT_KEY": "test-audit-key-of-at-least-32-characters",
            "ERAS_PUBLIC_URL": public,
            "ERAS_WEBHOOK_SECRET": SECRET,
            "ERAS_HTTP_LISTEN": f"127.0.0.1:{port}",
            "ERAS_HEALTH_TOKEN": HEALTH_TOKEN,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--webhook",
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await _wait_until_listening(port)
            stranger = sandbox.user("Eve")
            sandbox.send_text(stranger, "/start")
            reply = await sandbox.wait_for_message(stranger, timeout=30)
            assert reply["text"] == t("en", "start_without_link")
            set_hook = sandbox.ledger.calls("setWebhook")[-1].params
            assert set_hook["url"] == hook and set_hook["secret_token"] == SECRET
            stored = await _stored_updates(url)

            forged = {
                "update_id": 999_999,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 5, "type": "private"},
                    "text": "/start",
                },
            }
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {SECRET_HEADER: "not-the-secret-0123456789"}):
                    async with http.post(hook, json=forged, headers=headers) as answer:
                        assert answer.status == 403
                async with http.post(
                    hook, data=b"{not json", headers={SECRET_HEADER: SECRET}
                ) as answer:
                    assert answer.status == 400
                too_big = b"x" * (MAX_BODY + 1)
                async with http.post(hook, data=too_big, headers={SECRET_HEADER: SECRET}) as answer:
                    assert answer.status == 413
                async with http.get(
                    f"http://127.0.0.1:{port}/health",
                    headers={"Authorization": f"Bearer {HEALTH_TOKEN}"},
                ) as answer:
                    health = await answer.json()
            assert await _stored_updates(url) == stored  # nothing refused was stored
            assert set(health) >= {
                "ok",
                "last_tick_at",
                "outbox_backlog",
                "oldest_unsent_seconds",
                "stuck_escalations",
            }
            assert health["outbox_backlog"] == 0 and health["stuck_escalations"] == 0
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()[-2000:]
        output = stderr.decode()
        assert sandbox.token not in output and SECRET not in output
        assert "refused a request without the right secret token" in output
