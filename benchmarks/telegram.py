"""The sandbox (the fake Telegram) in a process of its own, as the benchmarks' Telegram.

Its own process, so that its work is not counted as the bot's and the bot reaches it over
HTTP as it reaches Telegram. Its ledger (every Bot API call with timestamps) is read through
the control API after each measurement.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.sandbox.serving.client import SandboxClient
from bot.settings import Settings

JSON = dict[str, Any]
BATCH = 10_000  # people made per control request


@dataclass
class Telegram:
    url: str
    token: str
    bot_username: str
    client: SandboxClient
    pid: int

    def settings(self, database_url: str) -> Settings:
        return Settings(
            database_url=database_url,
            telegram_token=self.token,
            telegram_api_url=self.url,
            emergency_number="112",
            # The benchmark's database goes with it: a key of its own is enough.
            audit_key=secrets.token_hex(32),
            bot_username=self.bot_username,
        )

    def environment(self, database_url: str) -> dict[str, str]:
        """What ``eras run`` needs to find this Telegram and the database."""
        keep = {k: v for k, v in os.environ.items() if not k.startswith("ERAS_")}
        return {
            **keep,
            "ERAS_DATABASE_URL": database_url,
            "ERAS_TELEGRAM_TOKEN": self.token,
            "ERAS_TELEGRAM_API_URL": self.url,
            "ERAS_EMERGENCY_NUMBER": "112",
            "ERAS_AUDIT_KEY": "benchmark-audit-key-of-at-least-32-chars",
            "ERAS_BOT_USERNAME": self.bot_username,
            "ERAS_LOG_LEVEL": "WARNING",
        }

    async def patients(self, count: int) -> list[int]:
        """``count`` people who have opened the bot's chat; their chat ids."""
        ids: list[int] = []
        while len(ids) < count:
            made = await self.client.users(min(BATCH, count - len(ids)), "Patient", started=True)
            ids += [person["chat_id"] for person in made]
        return ids

    async def groups(self, count: int) -> list[int]:
        return [(await self.client.group(f"Ward {n + 1}"))["id"] for n in range(count)]

    async def calls(self, method: str | None = None, after: int = 0) -> list[JSON]:
        return await self.client.calls(method, after=after)

    async def last_seq(self) -> int:
        return int((await self.client.info())["last_seq"])

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self.pid)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of another process (Linux ``/proc``; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def telegram_process() -> AsyncIterator[Telegram]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "--port",
        "0",
        "--json",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        ready: JSON = json.loads(await asyncio.wait_for(process.stdout.readline(), timeout=60))
        async with SandboxClient(ready["url"]) as client:
            info = await client.info()
            yield Telegram(ready["url"], ready["token"], info["bot_username"], client, process.pid)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


def chat_of(call: JSON) -> int | None:
    chat = call.get("chat_id")
    return chat if isinstance(chat, int) else None


def texts_to(calls: Sequence[JSON], chats: set[int]) -> list[JSON]:
    return [call for call in calls if chat_of(call) in chats]
