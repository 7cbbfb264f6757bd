"""``eras run`` is the real bot: a separate process polling the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.i18n import t
from bot.sandbox import Sandbox
from db.migrate import upgrade_database


async def test_eras_run_answers_start_and_stops_on_interrupt(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    async with Sandbox() as sandbox:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ERAS_")},
            "ERAS_DATABASE_URL": url,
            "ERAS_TELEGRAM_TOKEN": sandbox.token,
            "ERAS_TELEGRAM_API_URL": sandbox.url,
            "ERAS_EMERGENCY_NUMBER": "112",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            stranger = sandbox.user("Eve")
            sandbox.send_text(stranger, "/start")
            reply = await sandbox.wait_for_message(stranger, timeout=30)
            assert reply["text"] == t("en", "start_without_link")
            commands = sandbox.ledger.calls("setMyCommands")
            assert commands, "the menu of commands is set at start"
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert sandbox.token not in stderr.decode()
