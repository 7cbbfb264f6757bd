"""The outbox against the sandbox: which recorded message reached which chat, how often.

A message is in a chat when the sandbox did the method, whatever the bot heard back. Each
outbox row is matched to a delivered copy: by Telegram's message id when the bot recorded
one, else by its content. Copies left over are duplicates of the row they repeat; a copy
that repeats no row at all is a stray. Edits are left out: doing one twice shows the same.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bot.checkins.unsent import PURPOSE as UNSENT
from tests.chaos.calls import delivered
from tests.chaos.records import OutboxRecord

JSON = dict[str, Any]
SENDING = frozenset({"sendMessage", "sendPhoto"})
_CARD = re.compile(r"· alert #(\d+)$")


def callback_data(markup: Any) -> tuple[str, ...]:
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return tuple(b.get("callback_data", "") for row in rows for b in row)


@dataclass(frozen=True)
class Copy:
    """A message the sandbox put in a chat."""

    seq: int
    chat_id: int
    message_id: int
    text: str
    buttons: tuple[str, ...]

    @classmethod
    def of(cls, call: JSON) -> Copy:
        params, result = call["params"], call["result"]
        text = params.get("text") if call["method"] == "sendMessage" else params.get("caption")
        return cls(
            call["seq"],
            int(call["chat_id"]),
            int(result["message_id"]),
            str(text or params.get("photo") or ""),
            callback_data(result.get("reply_markup")),
        )

    def card(self) -> int | None:
        """The alert whose card this is, if it is one."""
        found = _CARD.search(self.text.split("\n", 1)[0])
        return int(found.group(1)) if found else None


def repeats(row: OutboxRecord, copy: Copy) -> bool:
    """Whether ``copy`` is (a copy of) the message ``row`` asked for.

    A card is redrawn in its row while it waits, and a list of unsent check-ins grows in
    its row while it waits: a copy sent before the last change still belongs to the row.
    """
    if row.chat_id != copy.chat_id:
        return False
    if row.purpose == "alert_card":
        return copy.card() == row.alert_id
    text = str(row.payload.get("text") or row.payload.get("caption") or row.payload.get("photo"))
    if row.purpose == UNSENT:
        return text.startswith(copy.text)
    return text == copy.text and callback_data(row.payload.get("reply_markup")) == copy.buttons


@dataclass
class Matching:
    copies: list[Copy]
    delivered: dict[int, Copy] = field(default_factory=dict)  # outbox id -> its copy
    duplicates: dict[int, list[Copy]] = field(default_factory=dict)  # outbox id -> extra
    strays: list[Copy] = field(default_factory=list)  # copies no row asked for

    def copies_in(self, chat_id: int) -> list[Copy]:
        return [c for c in self.copies if c.chat_id == chat_id]


def match(rows: list[OutboxRecord], calls: list[JSON]) -> Matching:
    sent_rows = [r for r in rows if r.method in SENDING]
    copies = [Copy.of(c) for c in calls if delivered(c)]
    matching = Matching(copies)
    free: dict[int, list[Copy]] = defaultdict(list)
    for copy in copies:
        free[copy.chat_id].append(copy)
    # First the rows that know their message id: no guessing there.
    for row in sent_rows:
        if row.telegram_message_id is None:
            continue
        found = next(
            (c for c in free[row.chat_id] if c.message_id == row.telegram_message_id), None
        )
        if found is not None:
            free[row.chat_id].remove(found)
            matching.delivered[row.id] = found
    for row in sent_rows:
        if row.id in matching.delivered or row.telegram_message_id is not None:
            continue
        found = next((c for c in free[row.chat_id] if repeats(row, c)), None)
        if found is not None:
            free[row.chat_id].remove(found)
            matching.delivered[row.id] = found
    for chat_copies in free.values():
        for copy in chat_copies:
            # Of the rows it repeats, one whose send was in doubt explains it best.
            candidates = sorted(
                (r for r in sent_rows if repeats(r, copy)), key=lambda r: not r.doubtful_sends
            )
            original = candidates[0] if candidates else None
            if original is None:
                matching.strays.append(copy)
            else:
                matching.duplicates.setdefault(original.id, []).append(copy)
    return matching
