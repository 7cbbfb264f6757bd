"""Group commit: what arrives together is written together, each caller gets its own
result, and a failure or a cancellation costs no other caller its write."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.delivery.group_commit import GroupCommit


class Table:
    """A stand-in for a database: each write takes a moment, as a transaction does."""

    def __init__(self, fail_on: set[int] | None = None, refuse: set[int] | None = None) -> None:
        self.writes: list[list[int]] = []
        self.fail_on = fail_on or set()  # a write containing one of these fails whole
        self.refuse = refuse or set()  # these alone fail

    async def write(self, items: list[int]) -> Sequence[int | BaseException]:
        await asyncio.sleep(0.01)
        if self.fail_on & set(items):
            raise RuntimeError("the transaction failed")
        self.writes.append(items)
        return [ValueError(item) if item in self.refuse else item * 10 for item in items]


async def test_items_arriving_together_share_a_write_and_each_gets_its_result() -> None:
    table = Table()
    commit = GroupCommit(table.write)

    results = await asyncio.gather(*(commit(n) for n in range(20)))

    assert results == [n * 10 for n in range(20)]
    assert sorted(n for write in table.writes for n in write) == list(range(20))
    # The first goes alone; the others arrived while it was being written.
    assert table.writes == [[0], list(range(1, 20))]


async def test_one_item_alone_is_written_at_once() -> None:
    table = Table()
    commit = GroupCommit(table.write)

    assert await commit(7) == 70
    assert await commit(8) == 80
    assert table.writes == [[7], [8]]


async def test_an_item_that_fails_alone_raises_for_its_caller_only() -> None:
    commit = GroupCommit(Table(refuse={3}).write)

    results = await asyncio.gather(*(commit(n) for n in range(5)), return_exceptions=True)

    assert [type(r) for r in results] == [int, int, int, ValueError, int]


async def test_a_failed_write_fails_its_batch_and_the_next_batch_is_written() -> None:
    table = Table(fail_on={2})
    commit = GroupCommit(table.write)

    first = await asyncio.gather(*(commit(n) for n in range(4)), return_exceptions=True)
    later = await commit(9)

    assert first[0] == 0
    assert all(isinstance(r, RuntimeError) for r in first[1:])  # 1, 2, 3 were one write
    assert later == 90


async def test_a_writer_cancelled_mid_write_leaves_the_others_items_to_the_next_turn() -> None:
    table = Table()
    commit = GroupCommit(table.write)
    leader = asyncio.create_task(commit(1))
    await asyncio.sleep(0)  # the leader's write has begun
    others = [asyncio.create_task(commit(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    follower = asyncio.create_task(commit(4))
    await asyncio.sleep(0)

    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader

    assert await asyncio.gather(*others, follower) == [20, 30, 40]
    assert 1 not in [n for write in table.writes for n in write]


async def test_a_caller_that_stops_waiting_is_not_written() -> None:
    table = Table()
    commit = GroupCommit(table.write)
    first = asyncio.create_task(commit(1))
    await asyncio.sleep(0)
    gone = asyncio.create_task(commit(2))
    await asyncio.sleep(0)

    gone.cancel()
    assert await first == 10
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert table.writes == [[1]]
