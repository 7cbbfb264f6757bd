"""Group commit: small writes that arrive together share one transaction.

Every message the sender handles needs a write before it leaves (its request has begun)
and one after (what became of it). A transaction of its own for each costs more than the
send itself; instead a caller hands its item in and waits, and whoever gets the turn
writes everything waiting by then at once. With one message in flight nothing changes;
with many, the writes come in batches of about as many as are in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Writes the items, in one transaction where it can; returns one result per item, in
# order. An exception in place of a result is raised to that item's caller alone.
Write = Callable[[list[Item]], Awaitable[Sequence[Result | BaseException]]]


class GroupCommit(Generic[Item, Result]):
    def __init__(self, write: Write[Item, Result]) -> None:
        self._write = write
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._turn = asyncio.Lock()
        self.batches = 0  # transactions written, and the items in them (a benchmark's figures)
        self.items = 0

    async def __call__(self, item: Item) -> Result:
        mine: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        entry = (item, mine)
        self._waiting.append(entry)
        try:
            async with self._turn:
                if not mine.done():
                    await self._write_waiting()
        except asyncio.CancelledError:
            # Not written: nobody waits for it any more. (Written already: so be it.)
            if entry in self._waiting:
                self._waiting.remove(entry)
            mine.cancel()
            raise
        return mine.result()

    async def _write_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        self.batches += 1
        self.items += len(batch)
        results: Sequence[Result | BaseException]
        try:
            results = await self._write([item for item, _ in batch])
        except asyncio.CancelledError:
            # Cancelled mid-write: the others' items go to whoever has the next turn.
            self._waiting[:0] = [entry for entry in batch if not entry[1].done()]
            raise
        except Exception as error:
            results = [error] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.cancelled():  # its caller stopped waiting
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
