"""Telegram's flood limits, answered with 429 and ``retry_after`` when a bot goes over them.

Telegram documents about 30 messages per second overall, one per second in a private chat
(short bursts tolerated) and 20 per minute in a group. Two models of that:

- token buckets (the default): a bucket holds ``burst`` sends and refills at the documented
  rate, so a sender that keeps the rate on average is never refused;
- sliding windows (``sliding_window``), as Telegram answers: more than ``burst`` requests
  arriving within any ``burst / rate`` seconds (30 in a second overall, 20 in a minute to a
  group, 3 in 3 seconds to a private chat) is refused with a ``retry_after`` of whole
  seconds, and until that has passed every further request is refused too (the whole
  bot's for the overall limit, the chat's for a chat's). Requests exactly 30 a second apart
  put the 1st and the 31st one second apart: a few milliseconds of jitter and the 31st is
  refused here, where the buckets (30 at once, then 30 a second) would take it.
"""

from __future__ import annotations

import math
import time
from collections import deque
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
    sliding_window: bool = False


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


class _Window:
    """At most ``burst`` requests arriving in any ``seconds``; over that, refused until
    the ``retry_after`` announced has passed."""

    def __init__(self, burst: int, seconds: float) -> None:
        self.burst = burst
        self.seconds = seconds
        self.arrivals: deque[float] = deque()
        self.refusing_until = float("-inf")

    def wait(self, now: float) -> int | None:
        """None if one more request fits now, else the whole seconds to retry after."""
        if now < self.refusing_until:
            return max(1, math.ceil(self.refusing_until - now))
        while self.arrivals and self.arrivals[0] <= now - self.seconds:
            self.arrivals.popleft()
        if len(self.arrivals) < self.burst:
            return None
        retry_after = max(1, math.ceil(self.arrivals[0] + self.seconds - now))
        self.refusing_until = now + retry_after
        return retry_after

    def arrived(self, now: float) -> None:
        self.arrivals.append(now)


class FloodControl:
    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self.enabled = False
        self._clock = clock
        self._buckets: dict[tuple[int, int | str | None], _Bucket] = {}
        self._windows: dict[tuple[int, int | str | None], _Window] = {}

    def retry_after(self, bot_id: int, method: str, chat_id: int | str | None) -> int | None:
        """``None`` if this call may go ahead (and count it), else whole seconds to wait."""
        if not self.enabled or method not in SENDING_METHODS:
            return None
        now = self._clock()
        if self.limits.sliding_window:
            return self._refused_by_windows(bot_id, chat_id, now)
        buckets = [self._bucket(bot_id, None, now), self._bucket(bot_id, chat_id, now)]
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None

    def _refused_by_windows(self, bot_id: int, chat_id: int | str | None, now: float) -> int | None:
        windows = [self._window(bot_id, None), self._window(bot_id, chat_id)]
        for window in windows:
            if (wait := window.wait(now)) is not None:
                return wait
        for window in windows:
            window.arrived(now)
        return None

    def _window(self, bot_id: int, chat_id: int | str | None) -> _Window:
        key = (bot_id, chat_id)
        if key not in self._windows:
            burst, per_second = self._limit(chat_id)
            self._windows[key] = _Window(burst, burst / per_second)
        return self._windows[key]

    def _limit(self, chat_id: int | str | None) -> tuple[int, float]:
        """A limit's burst and rate (per second)."""
        limits = self.limits
        if chat_id is None:
            return limits.overall_burst, limits.overall_per_second
        if isinstance(chat_id, int) and chat_id > 0:
            return limits.private_burst, limits.private_per_second
        # Negative ids (groups, supergroups, channels) and @usernames of public chats.
        return limits.group_burst, limits.group_per_minute / 60

    def _bucket(self, bot_id: int, chat_id: int | str | None, now: float) -> _Bucket:
        key = (bot_id, chat_id)
        if key not in self._buckets:
            self._buckets[key] = self._new_bucket(chat_id, now)
        return self._buckets[key]

    def _new_bucket(self, chat_id: int | str | None, now: float) -> _Bucket:
        burst, per_second = self._limit(chat_id)
        return _Bucket(burst, per_second, now)

    def reset(self) -> None:
        self._buckets.clear()
        self._windows.clear()
