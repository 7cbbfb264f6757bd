"""The Bot API methods the sandbox answers, each a function of the call's context.

A method returns the ``result`` of ``{"ok": true, "result": ...}`` or raises ``ApiError``.
Telegram matches method names without regard to case, and so does ``find``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.sandbox.state import BotAccount, World


class Couriers(Protocol):
    """Whoever delivers updates to webhooks (so methods need not know how)."""

    def start(self, bot: BotAccount) -> None: ...

    def stop(self, bot: BotAccount) -> None: ...


@dataclass
class Context:
    world: World
    bot: BotAccount
    params: dict[str, Any]
    webhooks: Couriers


Method = Callable[[Context], Any | Awaitable[Any]]
_METHODS: dict[str, Method] = {}


def bot_method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        _METHODS[name.lower()] = function
        return function

    return register


def find(name: str) -> Method | None:
    _load()
    return _METHODS.get(name.lower())


def _load() -> None:
    # Importing the modules registers their methods.
    from bot.sandbox.methods import media, messages, profile, updates  # noqa: F401
