"""What Telegram saw: the calls, the faults it answered with, and whether the bot waited
as long as each ``retry_after`` asked before writing to that chat again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class TelegramFigures:
    calls: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    faults_injected: dict[str, int] = field(default_factory=dict)
    answered_429: int = 0  # injected or Telegram's own flood control
    # A request to a chat that came before a retry_after answered to that chat had run out
    # (a 429 to a call without a chat holds back that method).
    before_retry_after: int = 0
    before_retry_after_examples: list[str] = field(default_factory=list)


def _target(call: JSON) -> tuple[Any, str | None]:
    chat = call.get("chat_id")
    return (chat, None) if chat is not None else (None, call["method"])


def reconcile_telegram(calls: list[JSON]) -> TelegramFigures:
    figures = TelegramFigures(calls=len(calls))
    figures.outcomes = dict(Counter(c["outcome"] for c in calls))
    figures.faults_injected = dict(Counter(c["fault"] for c in calls if c.get("fault")))
    # target -> (free again at, 429 answered at), in the sandbox's monotonic seconds
    held_until: dict[tuple[Any, str | None], tuple[float, float]] = {}
    # In the order the requests arrived: one already on its way when a 429 was answered
    # could not have known about it.
    for call in sorted(calls, key=lambda c: (c["at"], c["seq"])):
        target = _target(call)
        held = held_until.get(target)
        if held is not None and held[1] <= call["at"] < held[0]:
            figures.before_retry_after += 1
            if len(figures.before_retry_after_examples) < 10:
                early = held[0] - call["at"]
                figures.before_retry_after_examples.append(
                    f"{call['method']} #{call['seq']} came {early:.2f}s before the chat was free"
                )
        if call["status"] == 429:
            figures.answered_429 += 1
            retry_after = (call.get("parameters") or {}).get("retry_after") or 0
            until = call["done_at"] + float(retry_after)
            if held is None or until > held[0]:
                held_until[target] = (until, call["done_at"])
    return figures
