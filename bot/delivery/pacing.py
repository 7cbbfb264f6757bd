"""Telegram's flood limits, kept on our side so that Telegram never has to say 429.

About 30 messages a second overall, one a second to a private chat, twenty a minute to a
group. Pacing counts in a monotonic clock: real time in production (these limits are
Telegram's), a test's clock in tests.

Telegram counts the overall limit as requests arrive, in any one second. Requests leave
here evenly spaced, and never more than 30 in any 1.04 s (not 30 in 1 s, which puts the
1st and the 31st exactly a second apart): a request may arrive up to 40 ms late relative
to the 30 before it without the 31st falling in the same second, and the pace is still
96 % of the cap. A request that leaves a little late (the event loop was busy) does not
put the ones after it off: the even pace keeps its schedule and the next requests close
the gap, never less than half an interval apart (measured on a quiet machine before
this: 0.7 ms lost a request, 3 % of the cap over a burst). A longer stall (the database
work between two rounds) stays lost: making that up would send the next requests in a
bunch, and bunched requests arrive at Telegram with more jitter, enough for a 31st
request in its second (measured: a 429 every 20 seconds or so on a busy machine, against
none without).

If Telegram says 429 all the same, the answer to a group's message is that group's limit:
the group alone waits. Any other 429 is the bot's overall limit (a 429 to one patient
during a burst to many says nothing about that patient): every chat waits ``retry_after``
and a little more, then sending resumes at a lower rate and climbs back to the cap
(multiplicative decrease, additive increase).

Telegram tolerates a short burst to one chat; the bot does not use it: a patient gets
no two messages within a second, however the network delays one of them.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable

OVERALL_PER_SECOND = 30
OVERALL_WINDOW = 1.04  # seconds in which OVERALL_PER_SECOND requests leave (see above)
PRIVATE_INTERVAL = 1.0
PRIVATE_BURST = 1  # messages to one private chat at once before it is one a second
GROUP_PER_MINUTE = 20
# After an overall 429: the rate is cut to this share of what it was, and climbs back by
# this many messages a second every second.
SLOW_DOWN = 0.7
CLIMB_PER_SECOND = 2.0
# Added to an overall retry_after, at random: several senders told to wait together do not
# all come back at the same instant.
HOLD_JITTER = 0.2


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
        overall_window: float = OVERALL_WINDOW,
        rng: random.Random | None = None,
    ) -> None:
        self.per_second = overall_per_second
        self.top_rate = overall_per_second / overall_window  # the pace at full speed
        self._private_interval = private_interval
        self._private_slack = (private_burst - 1) * private_interval
        self._group_per_minute = group_per_minute
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._next_overall = 0.0  # when the next message may go, by the even pace
        # The last sends, as many as may leave in one window: the window holds whatever.
        self._window_sends = max(1, round(overall_per_second))
        self._sends: deque[float] = deque(maxlen=self._window_sends)
        self._next_private: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._blocked_until: dict[int | None, float] = {}
        # The rate after the last overall 429, and when it starts climbing back.
        self._slowed_to = self.top_rate
        self._climb_from = 0.0
        self._slowed_at = float("-inf")

    def now(self) -> float:
        """The time the pacer counts in."""
        return self._monotonic()

    def rate(self) -> float:
        """Messages a second overall now: the cap, or less while climbing back after a 429."""
        climbed = CLIMB_PER_SECOND * max(0.0, self._monotonic() - self._climb_from)
        return min(self.top_rate, self._slowed_to + climbed)

    def wait_for(self, chat_id: int) -> float:
        """Seconds until a message to ``chat_id`` is allowed (0 when it may go now)."""
        return max(self.overall_wait(), self.chat_wait(chat_id))

    def overall_wait(self) -> float:
        """Seconds until the overall limit lets any message go."""
        ready = max(self._next_overall, self._blocked_until.get(None, 0.0))
        if len(self._sends) == self._window_sends:
            ready = max(ready, self._sends[0] + self._window_sends / self.rate())
        return max(0.0, ready - self._monotonic())

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until the chat's own limit lets its next message go."""
        return max(0.0, self._chat_ready(chat_id) - self._monotonic())

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
        interval = 1.0 / self.rate()
        # Keep the even schedule when this one left a little late (see above), but never
        # let the next go less than half an interval after this one.
        self._next_overall = max(self._next_overall + interval, now + interval / 2)
        self._sends.append(now)
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

    def refused(self, chat_id: int, retry_after: float, sent_at: float) -> None:
        """Telegram answered 429 with ``retry_after`` to a message that left at ``sent_at``.
        A group's: that group waits. Any other: every chat waits, and the rate comes down,
        once for all the 429s answering requests that left before the first of them came."""
        self.hold(chat_id, retry_after)
        if is_group(chat_id):
            return
        self.hold(None, retry_after + self._rng.uniform(0.0, HOLD_JITTER))
        self._next_overall = max(self._next_overall, self._blocked_until[None])
        if sent_at > self._slowed_at:
            now = self._monotonic()
            self._slowed_to = max(1.0, self.rate() * SLOW_DOWN)
            self._climb_from = self._blocked_until[None]
            self._slowed_at = now

    def hold(self, chat_id: int | None, seconds: float) -> None:
        """Nothing to that chat (None: to anyone) for ``seconds``."""
        until = self._monotonic() + seconds
        self._blocked_until[chat_id] = max(self._blocked_until.get(chat_id, 0.0), until)

    def _forget_idle_chats(self, now: float) -> None:
        # Bounded memory with a large cohort: drop chats whose interval has long passed.
        if len(self._next_private) > 10_000:
            self._next_private = {c: t for c, t in self._next_private.items() if t > now}
