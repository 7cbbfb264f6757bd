"""Telegram misbehaving on purpose: 429 with retry_after, 5xx, slow answers, dropped
connections, injected through the sandbox's control API at a rate of the calls made."""

from __future__ import annotations

import asyncio
import random

from bot.sandbox.api.faults import DropConnection, Fault, ServerError, Slow, TooManyRequests
from bot.sandbox.serving.client import SandboxClient
from tests.chaos.calls import CallFollower

# Where faults go, by weight: mostly messages; None is "whatever call comes next" (which
# may be the bot's start-up, or a long poll).
METHODS: dict[str | None, float] = {
    "sendMessage": 0.6,
    "editMessageText": 0.05,
    "getUpdates": 0.15,
    "answerCallbackQuery": 0.1,
    None: 0.1,
}
# Flood control is about sending; a 429 anywhere else is not what Telegram does.
RATE_LIMITED = frozenset({"sendMessage", "editMessageText"})
# Longer than the bot's read timeout (5 s), so that the bot gives up waiting.
SLOW_SECONDS = (6.0, 9.0)


def random_fault(rng: random.Random, method: str | None) -> Fault:
    roll = rng.random()
    if method in RATE_LIMITED and roll < 0.35:
        return TooManyRequests(retry_after=rng.randint(1, 5))
    if roll < 0.6:
        return ServerError(status=rng.choice((500, 502, 503)))
    if roll < 0.8:
        return Slow(seconds=rng.uniform(*SLOW_SECONDS), delivered=rng.random() < 0.5)
    return DropConnection(delivered=rng.random() < 0.5)


class FaultInjector:
    """Adds one-shot fault rules so that about ``rate`` of the calls fail."""

    def __init__(
        self,
        client: SandboxClient,
        follower: CallFollower,
        rate: float,
        rng: random.Random,
        patient_chats: list[int],
    ) -> None:
        self._client = client
        self._follower = follower
        self._rate = rate
        self._rng = rng
        self._chats = patient_chats
        self.added = 0

    async def run(self) -> None:
        seen = len(self._follower.calls)
        while True:
            await asyncio.sleep(1.0)
            now_seen = len(self._follower.calls)
            expected = self._rate * (now_seen - seen)
            seen = now_seen
            count = int(expected) + (self._rng.random() < expected % 1)
            for _ in range(count):
                await self._add_one()

    async def _add_one(self) -> None:
        methods, weights = zip(*METHODS.items(), strict=True)
        method = self._rng.choices(methods, weights)[0]
        fault = random_fault(self._rng, method)
        # A 429 now and then for one patient's chat rather than for whoever comes next.
        chat = (
            self._rng.choice(self._chats)
            if isinstance(fault, TooManyRequests) and self._chats and self._rng.random() < 0.3
            else None
        )
        await self._client.fail_next(method, error=fault, chat_id=chat)
        self.added += 1

    async def stop(self) -> None:
        await self._client.clear_faults()
