"""Telegram's flood limits, kept on our side so that Telegram never has to say 429.

About 30 messages a second overall, one a second to a private chat, twenty a minute to a
group. Pacing counts in a monotonic clock: real time in production (these limits are
Telegram's), a test's clock in tests.
Telegram tolerates a short burst to one chat; the bot does not use it: a patient gets
no two messages within a second, however the network delays one of them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

OVERALL_PER_SECOND = 30
PRIVATE_INTERVAL = 1.0
PRIVATE_BURST = 1  # messages to one private chat at once before it is one a second
GROUP_PER_MINUTE = 20
# A red flag's messages may run this many sends ahead of the steady overall pace (the rest
# then slow down to make up for them), so that they need not queue behind routine ones.
URGENT_AHEAD = 5


def is_group(chat_id: int) -> bool:
    # Telegram gives groups, supergroups and channels negative ids, users positive ones.
    return chat_id < 0


class Pacer:
    """Says how long to wait before the next message to a chat may go."""

    def __init__(
        self,
        overall_per_second: float = OVERALL_PER_SECOND,
        private_interval: float = PRIVATE_INTERVAL,
        private_burst: int = PRIVATE_BURST,
        group_per_minute: int = GROUP_PER_MINUTE,
        monotonic: Callable[[], float] = time.monotonic,
        urgent_ahead: int = URGENT_AHEAD,
    ) -> None:
        self.per_second = overall_per_second
        self._overall_interval = 1.0 / overall_per_second
        self._urgent_slack = urgent_ahead * self._overall_interval
        self._private_interval = private_interval
        self._private_slack = (private_burst - 1) * private_interval
        self._group_per_minute = group_per_minute
        self._monotonic = monotonic
        self._next_overall = 0.0
        self._next_private: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._blocked_until: dict[int | None, float] = {}

    def wait_for(self, chat_id: int, *, urgent: bool = False) -> float:
        """Seconds until a message to ``chat_id`` is allowed (0 when it may go now)."""
        overall = self._next_overall - (self._urgent_slack if urgent else 0.0)
        ready = max(overall, self._blocked_until.get(None, 0.0), self._chat_ready(chat_id))
        return max(0.0, ready - self._monotonic())

    def not_ready(self, beyond: float) -> dict[int, float]:
        """The chats whose own limit holds their next message more than ``beyond`` seconds,
        with how long: a round leaves them to a later one rather than wait for them."""
        now = self._monotonic()
        # Asked at every claim: drop the chats that wait no more, so that this stays a
        # look at the few written to in the last second or so, however many patients.
        self._next_private = {c: t for c, t in self._next_private.items() if t > now}
        self._blocked_until = {c: t for c, t in self._blocked_until.items() if t > now}
        held = (chat for chat in self._blocked_until if chat is not None)
        waits = {
            chat: self._chat_ready(chat) - now
            for chat in {*self._next_private, *self._group_sends, *held}
        }
        return {chat: wait for chat, wait in waits.items() if wait > beyond}

    def _chat_ready(self, chat_id: int) -> float:
        """When the chat's own limit lets its next message go, on the monotonic clock."""
        ready = self._blocked_until.get(chat_id, 0.0)
        if is_group(chat_id):
            sends = self._group_sends.get(chat_id)
            if sends is not None and len(sends) >= self._group_per_minute:
                ready = max(ready, sends[0] + 60.0)
        else:
            # GCRA: the chat's schedule may run ahead of now by the burst's slack.
            ready = max(ready, self._next_private.get(chat_id, 0.0) - self._private_slack)
        return ready

    def sent(self, chat_id: int) -> None:
        """Count a message that went (or may have gone) to ``chat_id`` just now."""
        now = self._monotonic()
        self._next_overall = max(self._next_overall, now) + self._overall_interval
        if is_group(chat_id):
            sends = self._group_sends.setdefault(chat_id, deque())
            sends.append(now)
            while sends and sends[0] <= now - 60.0:
                sends.popleft()
        else:
            scheduled = max(self._next_private.get(chat_id, 0.0), now)
            self._next_private[chat_id] = scheduled + self._private_interval
            self._forget_idle_chats(now)

    def answered(self, chat_id: int) -> None:
        """The request to ``chat_id`` has come back. The next message to a private chat
        waits its interval from now, not from when this one left: a request slowed on its
        way must not arrive at Telegram less than an interval before the next one."""
        if not is_group(chat_id):
            after = self._monotonic() + self._private_interval
            self._next_private[chat_id] = max(self._next_private.get(chat_id, 0.0), after)

    def hold(self, chat_id: int | None, seconds: float) -> None:
        """Telegram said retry_after: nothing to that chat (None: to anyone) before then."""
        until = self._monotonic() + seconds
        self._blocked_until[chat_id] = max(self._blocked_until.get(chat_id, 0.0), until)

    def _forget_idle_chats(self, now: float) -> None:
        # Bounded memory with a large cohort: drop chats whose interval has long passed.
        if len(self._next_private) > 10_000:
            self._next_private = {c: t for c, t in self._next_private.items() if t > now}
