"""Telegram's flood limits, answered with 429 and ``retry_after`` when a bot goes over them.

Telegram documents about 30 messages per second overall, one per second in a private chat
(short bursts tolerated) and 20 per minute in a group. Token buckets model that: a bucket
holds ``burst`` sends and refills at the documented rate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Methods that put a new message in a chat: the ones Telegram's limits are about.
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"}
)


@dataclass(frozen=True)
class Limits:
    overall_per_second: float = 30.0
    overall_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20


class _Bucket:
    def __init__(self, capacity: int, per_second: float, now: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = float(capacity)
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until one send fits (0 when it fits now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def take(self) -> None:
        self.tokens -= 1


class FloodControl:
    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self.enabled = False
        self._clock = clock
        self._buckets: dict[tuple[int, int | str | None], _Bucket] = {}

    def retry_after(self, bot_id: int, method: str, chat_id: int | str | None) -> int | None:
        """``None`` if this call may go ahead (and count it), else whole seconds to wait."""
        if not self.enabled or method not in SENDING_METHODS:
            return None
        now = self._clock()
        buckets = [self._bucket(bot_id, None, now), self._bucket(bot_id, chat_id, now)]
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None

    def _bucket(self, bot_id: int, chat_id: int | str | None, now: float) -> _Bucket:
        key = (bot_id, chat_id)
        if key not in self._buckets:
            self._buckets[key] = self._new_bucket(chat_id, now)
        return self._buckets[key]

    def _new_bucket(self, chat_id: int | str | None, now: float) -> _Bucket:
        limits = self.limits
        if chat_id is None:
            return _Bucket(limits.overall_burst, limits.overall_per_second, now)
        if isinstance(chat_id, int) and chat_id > 0:
            return _Bucket(limits.private_burst, limits.private_per_second, now)
        # Negative ids (groups, supergroups, channels) and @usernames of public chats.
        return _Bucket(limits.group_burst, limits.group_per_minute / 60, now)

    def reset(self) -> None:
        self._buckets.clear()
