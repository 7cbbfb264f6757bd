"""Following the sandbox's ledger as it grows: every Bot API call, in order.

Patients learn what the bot wrote to them from here (a message is in their chat when the
sandbox did the method, even if the bot never heard the answer); the reconciliation reads
the whole list at the end.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.sandbox.serving.client import SandboxClient

JSON = dict[str, Any]
MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto"})
POLL_SECONDS = 2.0


def delivered(call: JSON) -> bool:
    """The call put a message in its chat (whatever the bot heard back)."""
    return call["method"] in MESSAGE_METHODS and isinstance(call.get("result"), dict)


class CallFollower:
    def __init__(self, client: SandboxClient) -> None:
        self._client = client
        self.calls: list[JSON] = []
        self.last_seq = 0
        self.last_message = time.monotonic()  # when a message last went to anyone
        self._inboxes: dict[int, asyncio.Queue[JSON]] = {}

    def inbox(self, chat_id: int) -> asyncio.Queue[JSON]:
        """The messages the bot puts in ``chat_id`` from now on, as Telegram shows them."""
        return self._inboxes.setdefault(chat_id, asyncio.Queue())

    async def run(self) -> None:
        while True:
            await self.fetch(wait=POLL_SECONDS)

    async def fetch(self, wait: float = 0) -> int:
        """Read the calls recorded since the last fetch; returns how many there were."""
        found = await self._client.calls(after=self.last_seq, wait=wait)
        for call in found:
            self._take(call)
        return len(found)

    async def catch_up(self) -> None:
        while await self.fetch():
            pass

    def _take(self, call: JSON) -> None:
        if call["seq"] <= self.last_seq:
            return
        self.last_seq = call["seq"]
        if call["method"] == "getUpdates":
            # What was handed out is in the bot's inbox; the list itself is not needed.
            call = {**call, "result": None, "params": {}}
        self.calls.append(call)
        if delivered(call):
            self.last_message = time.monotonic()
            chat_id = call["chat_id"]
            if isinstance(chat_id, int) and chat_id in self._inboxes:
                self._inboxes[chat_id].put_nowait(call["result"])
