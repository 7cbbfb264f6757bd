"""Whose message goes next when Telegram's overall limit binds.

Every message waits first for its own chat's limit (a patient's second, a group's minute),
out of the line, so that a chat held by its own limit holds up nobody else. Then it
queues for the overall limit: the most urgent message waiting goes first (emergency advice,
then a red-flag card, then a reply to a patient), and among equals the one that came first.
After a pause for Telegram's ``retry_after`` the most urgent message is first in line.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.delivery.pacing import Pacer

BEGIN_SECONDS = 0.05  # about what writing a request down as begun takes


@dataclass(order=True)
class _Waiting:
    priority: int
    arrival: int
    chat_id: int = field(compare=False)
    first: asyncio.Event = field(compare=False, default_factory=asyncio.Event)


class Turns:
    def __init__(self, pacer: Pacer, sleep: Callable[[float], Awaitable[None]]) -> None:
        """``sleep`` waits in the time ``pacer`` counts in."""
        self._pacer = pacer
        self._sleep = sleep
        self._line: list[_Waiting] = []  # a heap: the first in line at [0]
        self._arrivals = itertools.count()

    async def take(
        self,
        chat_id: int,
        priority: int,
        deadline: float,
        begin: Callable[[], Awaitable[bool]],
    ) -> bool | None:
        """Wait until a message of ``priority`` to ``chat_id`` may go, and count it; False
        (not counted) if it may not go by ``deadline`` (in the pacer's time), None if
        ``begin`` said False.

        ``begin`` writes the request down as begun: before it leaves, and neither long before
        (a message waiting in line when the process dies would count as a doubtful send,
        and after five be given up unsent) nor between its turn and its request (a write
        held up by SQLite's one writer would release the requests of every turn that came
        meanwhile at once, faster than Telegram's limit refills). A message that will go
        within BEGIN_SECONDS is begun as it joins the line (the writes of those going at
        once are shared); one that must wait, once it is first in line and the pace's last
        BEGIN_SECONDS pass, the others waiting behind it. Either way it is counted once
        begun and free to go."""
        me = _Waiting(priority, next(self._arrivals), chat_id)
        begun = False
        while True:
            while (wait := self._pacer.chat_wait(chat_id)) > 0:
                if self._pacer.now() + wait > deadline:
                    return False
                await self._sleep(wait)
            soon = self._pacer.overall_wait() + len(self._line) / self._pacer.rate()
            heapq.heappush(self._line, me)
            self._tell_first()
            try:
                if not begun and soon <= BEGIN_SECONDS:
                    if not await begin():
                        return None
                    begun = True
                # First in line, begun while the pace's last BEGIN_SECONDS pass, then free.
                in_time = await self._until_first_and_free(
                    me, deadline, within=0.0 if begun else BEGIN_SECONDS
                )
                if in_time and not begun and not self._pacer.chat_wait(chat_id):
                    if not await begin():
                        return None
                    begun = True
                    in_time = await self._until_first_and_free(me, deadline)  # time went by
            finally:
                self._leave(me)
            if not in_time:
                return False
            # Its own chat may have been held meanwhile (Telegram said retry_after): out of
            # the line until it is free again.
            if begun and self._pacer.chat_wait(chat_id) == 0:
                self._pacer.sent(chat_id)
                return True

    async def _until_first_and_free(
        self, me: _Waiting, deadline: float, within: float = 0.0
    ) -> bool:
        """True once ``me`` is first in line and the overall limit lets it go (within
        ``within`` seconds); False if the first in line cannot go by ``deadline`` (nor can
        those behind it, then)."""
        while True:
            if self._line[0] is me:
                wait = self._pacer.overall_wait()
                if wait <= within + 1e-6:  # not a nanosecond's sleep after the last one
                    return True
                if self._pacer.now() + wait > deadline:
                    return False
                await self._sleep(wait - within)  # and look again: another may come first
            else:
                me.first.clear()
                await me.first.wait()

    def _leave(self, me: _Waiting) -> None:
        if self._line and self._line[0] is me:
            heapq.heappop(self._line)
        else:
            self._line.remove(me)
            heapq.heapify(self._line)
        self._tell_first()

    def _tell_first(self) -> None:
        # The first in line may have been waiting behind another: its turn is next.
        if self._line:
            self._line[0].first.set()
