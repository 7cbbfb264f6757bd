"""``eras run`` as an operator starts it: how long until it polls, and how much memory it holds.

The bot runs in a process of its own against the sandbox: start-up is from launching the
program to its first getUpdates waiting at the sandbox; memory is its resident set once
the dispatcher has ticked (and its peak until then).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from benchmarks.telegram import Telegram
from db.engine import create_engine
from db.models import Heartbeat

TICKED_WITHIN = 60.0  # seconds; the dispatcher ticks every few seconds
STOPS_WITHIN = 60.0


async def start_up(database_url: str, telegram: Telegram) -> dict[str, Any]:
    launched_at = datetime.now(UTC)
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=telegram.environment(database_url),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await telegram.client.wait_for_poller(within=120)
        to_first_poll = time.perf_counter() - started
        await _first_tick(database_url, launched_at)
        memory = _memory(process.pid)
    finally:
        errors = await _stop(process)
    figures: dict[str, Any] = {"seconds_to_first_poll": round(to_first_poll, 3), **memory}
    if process.returncode != 0:
        figures["exit_code"] = process.returncode
        figures["stderr_tail"] = errors.decode(errors="replace")[-500:]
    return figures


async def _stop(process: asyncio.subprocess.Process) -> bytes:
    """Ctrl-C, as an operator stops it; killed if it has not stopped within a minute."""
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    try:
        _out, errors = await asyncio.wait_for(process.communicate(), timeout=STOPS_WITHIN)
    except TimeoutError:
        process.kill()
        _out, errors = await process.communicate()
        errors += b"\n(did not stop on Ctrl-C within a minute: killed)"
    return errors


async def _first_tick(database_url: str, since: datetime) -> None:
    """Wait for the process's heartbeat: it is written after each dispatcher tick."""
    engine = create_engine(database_url)
    try:
        give_up = time.monotonic() + TICKED_WITHIN
        while time.monotonic() < give_up:
            async with engine.connect() as connection:
                newest = await connection.scalar(
                    select(Heartbeat.last_tick_at).where(Heartbeat.started_at >= since)
                )
            if newest is not None:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError("the bot did not tick")
    finally:
        await engine.dispose()


def _memory(pid: int) -> dict[str, float | None]:
    """Resident memory now and at its peak, in MB (Linux ``/proc``; None elsewhere)."""
    found: dict[str, float | None] = {"resident_mb": None, "peak_resident_mb": None}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    key = "resident_mb" if name == "VmRSS" else "peak_resident_mb"
                    found[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return found
