"""The processes the harness runs: the sandbox, and the bot it kills and restarts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

# How long a process may take to start, or to stop when asked politely.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment without its ERAS_ settings, plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("ERAS_")}, **extra}


class SandboxProcess:
    """``eras sandbox`` in a process of its own, on a free port."""

    def __init__(self, log: IO[bytes]) -> None:
        self._log = log
        self._process: asyncio.subprocess.Process | None = None
        self.url = ""
        self.token = ""

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "sandbox",
            "--port",
            "0",
            "--json",
            env=_environment({}),
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
        )
        assert self._process.stdout is not None
        async with asyncio.timeout(START_TIMEOUT):
            line = await self._process.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox exited before saying where it listens")
        ready = json.loads(line)
        self.url, self.token = ready["url"], ready["token"]

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await self._process.wait()
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


@dataclass
class BotLife:
    """What happened to the bot process over the run."""

    starts: int = 0
    kills: int = 0
    # Exits nobody asked for (the bot died on its own), with their exit codes.
    crashes: list[int] = field(default_factory=list)


class BotProcess:
    """``python -m bot.cli run`` (long polling), started again whenever it is killed.

    Its log goes to ``log``; the bot logs no patient data, so the file can be kept.
    """

    def __init__(self, environment: dict[str, str], log_path: Path) -> None:
        self._environment = _environment(environment)
        self._log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self.life = BotLife()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        with self._log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=self._environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self.life.starts += 1

    async def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is finished, no lock is let go politely."""
        if not self.running:
            return
        assert self._process is not None
        self._process.kill()
        await self._process.wait()
        self.life.kills += 1

    async def restart_if_dead(self) -> bool:
        """A supervisor's job: start the bot again if it stopped by itself."""
        if self._process is None or self.running:
            return False
        assert self._process.returncode is not None
        self.life.crashes.append(self._process.returncode)
        await self.start()
        return True

    async def stop(self) -> int | None:
        """SIGINT, as Ctrl-C: the bot stops cleanly; returns its exit code."""
        if not self.running:
            return None
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                return await self._process.wait()
        except TimeoutError:
            self._process.kill()
            return await self._process.wait()
