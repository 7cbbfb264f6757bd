"""A limit on sign-in attempts that fail, per address: a sign-in token cannot be guessed,
but nobody gets to try thousands.

Kept in memory, per process: a limit to slow guessing down, not a record. Behind a reverse
proxy the address is the one the proxy says it forwarded for (``docs/CONSOLE.md``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60.0
# Beyond this many addresses the oldest are forgotten: memory stays bounded under a flood.
MAX_ADDRESSES = 10_000


class SignInAttempts:
    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._failures: dict[str, deque[float]] = {}

    def allowed(self, address: str) -> bool:
        failures = self._recent(address)
        return failures is None or len(failures) < MAX_FAILURES

    def failed(self, address: str) -> None:
        failures = self._recent(address)
        if failures is None:
            if len(self._failures) >= MAX_ADDRESSES:
                self._failures.pop(next(iter(self._failures)))
            failures = self._failures[address] = deque()
        failures.append(self._monotonic())

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is not None:
            since = self._monotonic() - WINDOW_SECONDS
            while failures and failures[0] < since:
                failures.popleft()
        return failures
