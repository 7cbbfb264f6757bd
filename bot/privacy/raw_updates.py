"""Raw Telegram updates that mention a person, found and emptied.

Telegram sends the sender's names with every update, and a reply in the team's chat quotes
the message it answers (an alert card names the patient), so updates are searched by the
person's ids and by what they are called, not only by who sent them. That reads every
stored update; the retention purge keeps their number down. An update is only needed until
it is processed: emptying one loses no record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import InboxUpdate

BATCH = 500
# Shorter words would match ordinary text: they find nothing a longer name does not.
SHORTEST_WORD = 3


@dataclass
class Traces:
    """What identifies someone in an update: Telegram ids, and words (names, file ids)."""

    ids: set[int] = field(default_factory=set)
    words: set[str] = field(default_factory=set)

    def add_word(self, word: str | None) -> None:
        if word and len(word.strip()) >= SHORTEST_WORD:
            self.words.add(word.strip().casefold())


async def find_mentions(session: AsyncSession, traces: Traces) -> list[int]:
    """The stored updates that mention the person, by id.

    Their own updates come first: the names Telegram sent in them are looked for too.
    """
    own = await _find(session, lambda payload: _has_id(payload, traces))
    for payload in own.values():
        _learn_names(payload, traces)
    others = await _find(session, lambda payload: _has_word(payload, traces.words))
    return [*own, *others]


async def empty(session: AsyncSession, update_ids: list[int], now: datetime) -> None:
    """Empty these updates; one not processed yet never will be."""
    for start in range(0, len(update_ids), BATCH):
        chunk = update_ids[start : start + BATCH]
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(chunk), InboxUpdate.processed_at.is_(None))
            .values(processed_at=now, error="erased before it was processed")
        )
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(chunk))
            .values(payload={}, chat_id=None)
        )


async def empty_processed_before(session: AsyncSession, cutoff: datetime) -> int:
    """Empty the updates processed before ``cutoff``, whoever sent them."""
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.processed_at < cutoff, InboxUpdate.payload != {})
        .values(payload={}, chat_id=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_strangers_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete the updates received before ``cutoff`` from accounts that were neither staff
    nor patients: nothing of theirs is kept beyond that, processed or not."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.from_stranger.is_(True), InboxUpdate.received_at < cutoff
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _find(
    session: AsyncSession, matches: Callable[[dict[str, Any]], bool]
) -> dict[int, dict[str, Any]]:
    """Every stored update that ``matches``, read in batches (keyset, no open cursor)."""
    found: dict[int, dict[str, Any]] = {}
    after = None
    while True:
        query = select(InboxUpdate.update_id, InboxUpdate.payload).order_by(InboxUpdate.update_id)
        if after is not None:
            query = query.where(InboxUpdate.update_id > after)
        rows = (await session.execute(query.limit(BATCH))).all()
        if not rows:
            return found
        found.update((update_id, payload) for update_id, payload in rows if matches(payload))
        after = rows[-1][0]


def _values(payload: Any) -> Iterator[Any]:
    """Every value in a JSON document, dictionaries included, depth first."""
    stack = [payload]
    while stack:
        value = stack.pop()
        yield value
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _has_id(payload: Any, traces: Traces) -> bool:
    # Any number equal to an id will do: a false match only empties one more update.
    return any(
        isinstance(v, int) and not isinstance(v, bool) and v in traces.ids for v in _values(payload)
    )


def _has_word(payload: Any, words: set[str]) -> bool:
    if not words:
        return False
    return any(
        isinstance(v, str) and any(word in v.casefold() for word in words) for v in _values(payload)
    )


def _learn_names(payload: Any, traces: Traces) -> None:
    """The names Telegram gives the person (as a user or as a chat) in their own updates."""
    for value in _values(payload):
        if isinstance(value, dict) and value.get("id") in traces.ids:
            full = " ".join(str(value[k]) for k in ("first_name", "last_name") if value.get(k))
            traces.add_word(full)
            traces.add_word(value.get("username"))
