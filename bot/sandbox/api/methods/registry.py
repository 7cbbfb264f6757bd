"""What a Bot API method of the sandbox is given, and the table the methods register in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.sandbox.world.state import BotAccount, World


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
METHODS: dict[str, Method] = {}


def bot_method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name.lower()] = function
        return function

    return register
