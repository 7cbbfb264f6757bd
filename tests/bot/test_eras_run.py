"""``eras run`` is the real bot: a separate process polling the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.demo import sandboxed_runtime
from bot.clock import FakeClock, SystemClock
from bot.i18n import t
from bot.inbox.updates import store_updates
from bot.sandbox import Sandbox, SandboxServer, ServerError
from db.engine import create_engine, session_factory
from migrations.runner import upgrade_database


def _environment(sandbox: Sandbox, url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ERAS_")},
        "ERAS_DATABASE_URL": url,
        "ERAS_TELEGRAM_TOKEN": sandbox.token,
        "ERAS_TELEGRAM_API_URL": sandbox.url,
        "ERAS_EMERGENCY_NUMBER": "112",
        "ERAS_AUDIT_KEY": "test-audit-key-of-at-least-32-characters",
    }


def _ignore_interrupts() -> None:
    """How a shell starts a background job: Ctrl-C ignored from the start."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("stop_with", "started_ignoring_interrupts"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["interrupt", "terminate", "interrupt-as-a-background-job"],
)
async def test_eras_run_answers_start_and_stops_cleanly_when_asked(
    tmp_path: Path, stop_with: signal.Signals, started_ignoring_interrupts: bool
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    async with SandboxServer() as sandbox:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            env=_environment(sandbox, url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_ignore_interrupts if started_ignoring_interrupts else None,
        )
        try:
            stranger = sandbox.user("Eve")
            sandbox.send_text(stranger, "/start")
            reply = await sandbox.wait_for_message(stranger, timeout=30)
            assert reply["text"] == t("en", "start_without_link")
            commands = sandbox.ledger.calls("setMyCommands")
            assert commands, "the menu of commands is set at start"
        finally:
            process.send_signal(stop_with)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert stdout.decode().strip().endswith("stopped")
        assert sandbox.token not in stderr.decode()


async def test_an_update_stored_by_a_process_that_died_is_handled_after_a_restart(
    tmp_path: Path,
) -> None:
    """The last process stored the update (so Telegram will not send it again) and was
    killed before handling it; nobody writes anything more, and the patient still gets
    an answer."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    async with SandboxServer() as sandbox:
        stranger = sandbox.user("Eve")
        update = sandbox.send_text(stranger, "/start")
        assert update is not None
        engine = create_engine(url)
        try:
            await store_updates(session_factory(engine), [update], SystemClock())
        finally:
            await engine.dispose()
        sandbox.bot().updates.confirm(update["update_id"] + 1)  # as the next poll would
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=_environment(sandbox, url)
        )
        try:
            reply = await sandbox.wait_for_message(stranger, timeout=20)
            assert reply["text"] == t("en", "start_without_link")
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), timeout=30)


async def test_telegram_failing_at_start_up_is_waited_out(tmp_path: Path) -> None:
    """A 502 to getMe, or to setting the menu, is no reason for the bot to die at start."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ward.sqlite3'}"
    await upgrade_database(url)
    clock = FakeClock(datetime.now(UTC))
    async with Sandbox(monotonic=clock.monotonic, sleep=clock.sleep) as sandbox:
        sandbox.fail_next("getMe", error=ServerError(status=502))
        sandbox.fail_next("setMyCommands", error=ServerError(status=503))
        runtime = sandboxed_runtime(sandbox, url, clock)
        await runtime.start()
        try:
            assert [c.outcome for c in sandbox.ledger.calls("getMe")] == ["error", "ok"]
            assert [c.status for c in sandbox.ledger.calls("setMyCommands")] == [503]
            stranger = sandbox.user("Eve")
            sandbox.send_text(stranger, "/start")
            await runtime.step()
            assert sandbox.messages_to(stranger), "the bot runs all the same"
        finally:
            await runtime.stop()
