"""Reading the sandbox's ledger: what reached Telegram, when, and what Telegram answered.

Calls are the control API's JSON: ``at`` and ``done_at`` are the sandbox's monotonic clock
(arrival, answer), ``wall`` its wall clock at arrival.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

JSON = dict[str, Any]
SENDING = frozenset({"sendMessage", "sendPhoto"})


def delivered(calls: Iterable[JSON]) -> list[JSON]:
    """Messages that reached a chat, in the order they arrived."""
    return sorted(
        (c for c in calls if c["method"] in SENDING and c["outcome"] == "ok"), key=lambda c: c["at"]
    )


def too_many_requests(calls: Iterable[JSON]) -> int:
    return sum(1 for c in calls if c["status"] == 429)


def sustained_rate(sends: Sequence[JSON]) -> float | None:
    """Messages per second from the first to the last one."""
    if len(sends) < 2:
        return None
    span = sends[-1]["at"] - sends[0]["at"]
    return (len(sends) - 1) / span if span > 0 else None


def close_together(sends: Sequence[JSON], within: float = 1.0) -> dict[str, Any]:
    """Private chats that got two messages less than ``within`` seconds apart."""
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in sends:
        chat = call["chat_id"]
        if isinstance(chat, int) and chat > 0:
            by_chat[chat].append(call["at"])
    gaps = [
        later - earlier
        for times in by_chat.values()
        for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    chats = sum(
        1
        for times in by_chat.values()
        if any(b - a < within for a, b in zip(sorted(times), sorted(times)[1:], strict=False))
    )
    return {
        "patients": chats,
        "closest_seconds": round(min(gaps), 3) if gaps else None,
    }


def first_to_each(sends: Sequence[JSON]) -> dict[int, JSON]:
    """The first message each chat got."""
    first: dict[int, JSON] = {}
    for call in sends:
        chat = call["chat_id"]
        if isinstance(chat, int) and chat not in first:
            first[chat] = call
    return first


def fetched_at(calls: Iterable[JSON]) -> dict[int, float]:
    """When each update was handed to the bot: the answer to the getUpdates carrying it."""
    handed: dict[int, float] = {}
    for call in calls:
        if call["method"] != "getUpdates" or call["outcome"] != "ok":
            continue
        for update in call.get("result") or []:
            handed.setdefault(update["update_id"], call["done_at"])
    return handed
