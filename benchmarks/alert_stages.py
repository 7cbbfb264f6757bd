"""Where a reply's time goes, stage by stage, on the way to the alert card.

The benchmark runs the bot in its own process, so the stages are stamped there, with the
system's monotonic clock (the sandbox's ledger counts in the same one): the reply stored in
the inbox, its handler started, scored, the alert written, the transaction committed, the
card claimed, its request left and answered. Stamped by wrapping the functions that do each
step for the length of a run; nothing of the bot changes. Keyed by the patient's chat (each
patient replies once a run) and, for the card, by its episode.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from bot.app.runtime import BotRuntime
from bot.checkins import conversation
from bot.inbox import updates as inbox
from db.models import OutboxMessage

_chat: contextvars.ContextVar[int | None] = contextvars.ContextVar("stage_chat", default=None)
# In order; the card's arrival in the team's chat (the sandbox's ledger) comes after "left".
STAGES = ("stored", "handling", "scored", "alert_written", "committed", "claimed", "left")


@dataclass
class Stages:
    # chat -> stage -> monotonic time; the card's stages by episode until mapped to a chat
    by_chat: dict[int, dict[str, float]] = field(default_factory=dict)
    by_episode: dict[int, dict[str, float]] = field(default_factory=dict)
    writes_waiting: list[float] = field(default_factory=list)
    # SQL statements the process sent, and of them those sent inside a reply's handler
    statements: int = 0
    statements_handling: int = 0

    def stamp(self, chat: int | None, stage: str) -> None:
        if chat is not None:
            self.by_chat.setdefault(chat, {}).setdefault(stage, time.monotonic())

    def card(self, episode: int | None, stage: str) -> None:
        if episode is not None:
            self.by_episode.setdefault(episode, {}).setdefault(stage, time.monotonic())

    def handling_rate(self) -> dict[str, float | None]:
        """Replies handled (committed) in the run, and how many a second from the first
        handler's start to the last commit: the inbox's throughput."""
        starts = [m["handling"] for m in self.by_chat.values() if "handling" in m]
        commits = [m["committed"] for m in self.by_chat.values() if "committed" in m]
        span = max(commits) - min(starts) if starts and commits else 0.0
        return {
            "handled": len(commits),
            "per_second": round(len(commits) / span, 1) if span > 0 else None,
        }

    def breakdown(
        self, handed: dict[int, float], arrived: dict[int, float], episodes: dict[int, int]
    ) -> dict[str, Any]:
        """Per stage, the time since the one before (ms, median and p99), over the red
        flags whose card arrived: ``handed`` and ``arrived`` by chat, ``episodes`` chat ->
        episode."""
        gaps: dict[str, list[float]] = {}
        for chat, start in handed.items():
            if chat not in arrived:
                continue
            marks = dict(self.by_chat.get(chat, {}))
            marks.update(self.by_episode.get(episodes.get(chat, -1), {}))
            marks["arrived"] = arrived[chat]
            before, previous = "handed", start
            for stage in (*STAGES, "arrived"):
                if stage in marks:
                    gaps.setdefault(f"{before} → {stage}", []).append(marks[stage] - previous)
                    before, previous = stage, marks[stage]
        return {name: _ms(values) for name, values in gaps.items()}


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.5), "p99": at(0.99), "max": round(1000 * ordered[-1], 1)}


def _chat_of_update(payload: dict[str, Any]) -> int | None:
    return inbox.chat_of(payload)


@contextmanager
def stamped(runtime: BotRuntime) -> Iterator[Stages]:
    """Stamp the stages while the block runs."""
    stages = Stages()
    undo: list[Callable[[], None]] = []

    def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        undo.append(lambda: setattr(owner, name, original))

    def store(original: Any) -> Any:
        async def wrapped(sessions: Any, updates: Any, clock: Any) -> int:
            stored: int = await original(sessions, updates, clock)
            for payload in updates:
                if isinstance(payload, dict):
                    stages.stamp(_chat_of_update(payload), "stored")
            return stored

        return wrapped

    def process(original: Any) -> Any:
        async def wrapped(update_id: int, payload: dict[str, Any]) -> Any:
            chat = _chat_of_update(payload)
            token = _chat.set(chat)
            stages.stamp(chat, "handling")
            try:
                return await original(update_id, payload)
            finally:
                _chat.reset(token)

        return wrapped

    def scored(original: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            stages.stamp(_chat.get(), "scored")
            return result

        return wrapped

    def alert_written(original: Any) -> Any:
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = await original(*args, **kwargs)
            stages.stamp(_chat.get(), "alert_written")
            return result

        return wrapped

    def wake(original: Any) -> Any:
        def wrapped() -> None:
            stages.stamp(_chat.get(), "committed")
            original()

        return wrapped

    def claim(original: Any) -> Any:
        async def wrapped(*args: Any, **kwargs: Any) -> list[OutboxMessage]:
            claimed: list[OutboxMessage] = await original(*args, **kwargs)
            for message in claimed:
                if message.purpose == "alert_card":
                    stages.card(message.episode_id, "claimed")
            return claimed

        return wrapped

    def send(original: Any) -> Any:
        async def wrapped(message: OutboxMessage) -> Any:
            card = message.purpose == "alert_card"
            if card:
                stages.card(message.episode_id, "left")
            return await original(message)

        return wrapped

    def count(*_: Any) -> None:
        stages.statements += 1
        if _chat.get() is not None:
            stages.statements_handling += 1

    engine = runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    undo.append(lambda: event.remove(engine, "before_cursor_execute", count))
    patch(inbox, "store_updates", store)
    patch(runtime.inbox, "_process", process)
    patch(conversation, "take_reply", scored)
    patch(conversation, "raise_alert", alert_written)
    patch(runtime.services, "wake_sender", wake)
    patch(runtime.sender._leases, "claim", claim)
    patch(runtime.sender, "_send", send)
    try:
        yield stages
    finally:
        for step in reversed(undo):
            step()
