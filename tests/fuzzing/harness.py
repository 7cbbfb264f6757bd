"""Many hypothesis examples against one running bot.

Building the bot (database, sandbox, python-telegram-bot, a ward of people) takes seconds,
so a test builds it once and hypothesis runs every example against it. Hypothesis drives
the examples from a worker thread; each example's coroutine runs on the test's event loop,
where the bot lives, and the thread waits for it. No fixture is handed to hypothesis: each
example checks what it changed, which is the point of the fuzz tests anyway.

``ERAS_FUZZ_EXAMPLES`` sets the examples per fuzz test (default below: what CI runs, some
5,000 updates on SQLite and a quarter as many examples on PostgreSQL). The long run, some
100,000 updates on SQLite (docs/FUZZING.md has its timings)::

    ERAS_FUZZ_EXAMPLES=4500 python -m pytest tests/bot -k fuzz
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from telegram import Update

from bot.app.runtime import BotRuntime
from bot.inbox.updates import store_updates

T = TypeVar("T")
JSON = dict[str, Any]

EXAMPLES = int(os.environ.get("ERAS_FUZZ_EXAMPLES", "200"))
# PostgreSQL is slower per update; CI runs a quarter of the examples there (set
# ERAS_FUZZ_EXAMPLES_POSTGRES to change that).
EXAMPLES_POSTGRES = int(os.environ.get("ERAS_FUZZ_EXAMPLES_POSTGRES", str(max(EXAMPLES // 4, 1))))
EXAMPLE_TIMEOUT = 120.0  # seconds: a hung example fails instead of hanging CI
FIRST_UPDATE_ID = 1_000_000_000  # far above what the sandbox numbers

# Updates fed to the bot, by test, for the summary at the end of the run.
TALLY: dict[str, int] = {}


def batches(updates: st.SearchStrategy[JSON]) -> st.SearchStrategy[list[JSON]]:
    """Several updates per example (checking what changed costs about the same for one or
    twenty), shrinking to a single one."""
    runs = st.lists(updates, min_size=1, max_size=4)
    return st.lists(runs, min_size=1, max_size=8).map(lambda r: [u for run in r for u in run])


def examples_for(backend: str) -> int:
    return EXAMPLES_POSTGRES if backend == "postgresql" else EXAMPLES


class _KeptApart(ExampleDatabase):
    """Hypothesis keeps failing examples under a key made from the test function, and every
    fuzz test runs the same inner function: each keeps its own under its test's name."""

    def __init__(self, inner: ExampleDatabase, name: str) -> None:
        super().__init__()
        self._inner, self._prefix = inner, f"{name}|".encode()

    def save(self, key: bytes, value: bytes) -> None:
        self._inner.save(self._prefix + key, value)

    def fetch(self, key: bytes) -> Any:
        return self._inner.fetch(self._prefix + key)

    def delete(self, key: bytes, value: bytes) -> None:
        self._inner.delete(self._prefix + key, value)


async def run_examples(
    name: str,
    strategy: st.SearchStrategy[T],
    example: Callable[[T], Coroutine[Any, Any, None]],
    examples: int,
) -> None:
    """Run ``example`` on ``examples`` values drawn (and, on failure, shrunk) by hypothesis."""
    loop = asyncio.get_running_loop()
    saved = settings().database

    # data_too_large: texts beyond Telegram's 4096 characters are on purpose.
    @settings(
        max_examples=examples,
        deadline=None,
        print_blob=True,
        database=_KeptApart(saved, name) if saved is not None else None,
        suppress_health_check=[HealthCheck.data_too_large],
    )
    @given(strategy)
    def one(value: T) -> None:
        asyncio.run_coroutine_threadsafe(example(value), loop).result(EXAMPLE_TIMEOUT)

    await asyncio.to_thread(one)


@dataclass
class Fuzzing:
    """One fuzz test: its name, how many examples it runs, and what it logged."""

    name: str
    examples: int
    failures: Failures

    def feeder(self, runtime: BotRuntime) -> Feeder:
        return Feeder(runtime, self.name)

    async def run(
        self, strategy: st.SearchStrategy[T], example: Callable[[T], Coroutine[Any, Any, None]]
    ) -> None:
        self.failures.take()  # what came before the examples is not theirs
        await run_examples(self.name, strategy, example, self.examples)


class Failures(logging.Handler):
    """Warnings and errors logged anywhere: a handler that fails is logged, not raised."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()}" for r in self.records]
        self.records.clear()
        return found


class Feeder:
    """Hands updates to the running bot, numbering them, and counts them."""

    def __init__(self, runtime: BotRuntime, name: str) -> None:
        self.runtime = runtime
        self.name = name
        self._next_id = FIRST_UPDATE_ID

    def numbered(self, update: JSON) -> JSON:
        """A fresh ``update_id``, unless a broken update garbled its own on purpose."""
        if "update_id" in update and type(update["update_id"]) is not int:
            return update
        self._next_id += 1
        return {**update, "update_id": self._next_id}

    def _count(self, updates: list[JSON]) -> None:
        TALLY[self.name] = TALLY.get(self.name, 0) + len(updates)

    async def through_inbox(self, updates: list[JSON]) -> list[JSON]:
        """Stored as the poller stores them, then processed from the inbox."""
        numbered = [self.numbered(u) for u in updates]
        self._count(numbered)
        await store_updates(self.runtime.sessions, numbered, self.runtime.clock)
        while await self.runtime.inbox.process_pending():
            pass
        return numbered

    async def straight(self, updates: list[JSON]) -> list[JSON]:
        """Straight to ``Application.process_update`` (well-formed updates only)."""
        numbered = [self.numbered(u) for u in updates]
        self._count(numbered)
        bot = self.runtime.application.bot
        for update in numbered:
            await self.runtime.application.process_update(Update.de_json(update, bot))
        return numbered


def ids_in(update: Any) -> set[int]:
    """Every chat and user id an update mentions: where a reply to it may go."""
    found: set[int] = set()
    if isinstance(update, dict):
        for key, value in update.items():
            mentions = key in ("chat", "from", "user", "sender_chat") and isinstance(value, dict)
            if mentions and type(value.get("id")) is int:
                found.add(value["id"])
            found |= ids_in(value)
    elif isinstance(update, list):
        for value in update:
            found |= ids_in(value)
    return found
