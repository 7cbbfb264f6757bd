"""A bot's updates between Telegram and the bot: kept until confirmed, handed out on request.

Long polls and the webhook courier wait on ``changed()``; anything that could end their
wait (a new update, a newer poller, a webhook being set) calls ``notify()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

JSON = dict[str, Any]
# Telegram leaves these out unless a bot asks for them by name in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Updates waiting for the bot, kept until it confirms them with a higher offset."""

    def __init__(self) -> None:
        self.pending: list[JSON] = []
        self.next_update_id = 1
        self.allowed: frozenset[str] | None = None  # None: Telegram's default set
        self.poll_generation = 0  # a newer getUpdates ends an older, still waiting one
        self.poll_waiting = asyncio.Event()  # set while a getUpdates waits for updates
        self._changed = asyncio.Event()

    def push(self, update: JSON) -> JSON:
        if not isinstance(update.get("update_id"), int):
            update = {"update_id": self.next_update_id, **update}
        self.next_update_id = max(self.next_update_id, update["update_id"] + 1)
        self.pending.append(update)
        self.notify()
        return update

    def confirm(self, offset: int) -> None:
        """Forget updates before ``offset``; a negative offset keeps only the last ``-offset``."""
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def deliverable(self, limit: int) -> list[JSON]:
        """Up to ``limit`` updates of the types the bot asked for; others are dropped."""
        self.pending = [u for u in self.pending if self._wanted(u)]
        return self.pending[:limit]

    def _wanted(self, update: JSON) -> bool:
        kinds = set(update) - {"update_id"}
        if self.allowed is None:
            return not kinds or not kinds <= OPT_IN_UPDATES
        return not kinds or bool(kinds & self.allowed)

    def notify(self) -> None:
        """Wake whoever waits for a change (new update, new poller, webhook set)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def changed(self, within: float, sleep: Callable[[float], Awaitable[None]]) -> None:
        """Return at the next change, or after ``within`` seconds (as ``sleep`` counts)."""
        # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that comes just as the event is set, and the caller would then never stop.
        change = asyncio.ensure_future(self._changed.wait())
        timer = asyncio.ensure_future(sleep(within))
        try:
            await asyncio.wait([change, timer], return_when=asyncio.FIRST_COMPLETED)
        finally:
            change.cancel()
            timer.cancel()
