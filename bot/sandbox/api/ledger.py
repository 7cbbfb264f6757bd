"""Every Bot API call the sandbox answered, in order, with when, who, what and how it ended.

Tests read it instead of sleeping: ``await ledger.wait_for(predicate)`` returns as soon as
a matching call is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

# How a call ended, from the client's point of view.
OK = "ok"  # answered {"ok": true}
ERROR = "error"  # answered {"ok": false} (a Telegram error, natural or injected)
DROPPED = "dropped"  # connection closed without an answer
MALFORMED = "malformed"  # answered with a body that is not JSON
# The client went away before the answer (e.g. its read timeout); ``result`` is set if the
# method was done all the same.
ABANDONED = "abandoned"


_JSON_TYPES = (str, int, float, bool, list, dict, type(None))


@dataclass
class Call:
    """One request to ``/bot{token}/{method}``."""

    seq: int
    token: str
    method: str
    params: dict[str, Any]
    chat_id: int | str | None
    at: float  # time.monotonic() when the request arrived
    wall: float  # wall-clock time when the request arrived
    done_at: float  # time.monotonic() when the answer was decided
    outcome: str
    status: int | None  # HTTP status, None when no answer was sent
    description: str | None = None
    result: Any = None
    fault: str | None = None  # the injected fault's kind, None when Telegram-natural
    parameters: dict[str, Any] | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    @property
    def retry_after(self) -> int | None:
        return (self.parameters or {}).get("retry_after")

    def to_json(self) -> dict[str, Any]:
        """The call as JSON; an uploaded file shows as a short description, not its bytes."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["params"] = {
            name: value if isinstance(value, _JSON_TYPES) else repr(value)
            for name, value in self.params.items()
        }
        return data


Predicate = Callable[[Call], bool]


class Ledger:
    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._forgotten = 0  # calls cleared by a reset: ``seq`` keeps counting up
        self._waiters: list[tuple[Predicate, asyncio.Future[Call]]] = []

    def record(self, **fields: Any) -> Call:
        call = Call(seq=self.last_seq + 1, **fields)
        self._calls.append(call)
        for waiter in list(self._waiters):
            predicate, future = waiter
            if not future.done() and predicate(call):
                future.set_result(call)
        self._waiters = [w for w in self._waiters if not w[1].done()]
        return call

    def calls(
        self,
        method: str | None = None,
        *,
        chat_id: int | str | None = None,
        token: str | None = None,
        after: int = 0,
    ) -> list[Call]:
        """Recorded calls, oldest first, filtered by what is given; ``after`` is a ``seq``."""
        return [
            call
            for call in self._since(after)
            if (method is None or call.method == method)
            and (chat_id is None or call.chat_id == chat_id)
            and (token is None or call.token == token)
        ]

    def first(self, predicate: Predicate, after: int = 0) -> Call | None:
        return next((call for call in self._since(after) if predicate(call)), None)

    def _since(self, seq: int) -> list[Call]:
        return self._calls[max(0, seq - self._forgotten) :]

    @property
    def last_seq(self) -> int:
        return self._forgotten + len(self._calls)

    async def wait_for(
        self,
        predicate: Predicate,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline reads better in tests
        after: int = 0,
    ) -> Call:
        """The first call (after ``seq`` ``after``) matching ``predicate``, waiting if need be."""
        found = self.first(predicate, after)
        if found is not None:
            return found
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            recent = ", ".join(f"{c.method}→{c.outcome}" for c in self._calls[-8:]) or "none"
            raise TimeoutError(
                f"no matching Bot API call within {timeout}s (latest calls: {recent})"
            ) from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def clear(self) -> None:
        self._forgotten += len(self._calls)
        self._calls.clear()
