"""A fake Telegram Bot API server for tests and the demo.

It speaks the real Bot API over HTTP, so the real python-telegram-bot client talks to it;
it records every call, plays the people on the other side and fails on demand.
"""

from bot.sandbox.faults import (
    Blocked,
    CantParseEntities,
    ChatNotFound,
    Conflict,
    Deactivated,
    DropConnection,
    Fault,
    MalformedBody,
    Migrated,
    NotModified,
    ServerError,
    Slow,
    TooManyRequests,
    Unauthorized,
)
from bot.sandbox.ledger import Call
from bot.sandbox.limits import Limits
from bot.sandbox.service import Sandbox
from bot.sandbox.state import DEFAULT_TOKEN, Group, Person

__all__ = [
    "DEFAULT_TOKEN",
    "Blocked",
    "Call",
    "CantParseEntities",
    "ChatNotFound",
    "Conflict",
    "Deactivated",
    "DropConnection",
    "Fault",
    "Group",
    "Limits",
    "MalformedBody",
    "Migrated",
    "NotModified",
    "Person",
    "Sandbox",
    "ServerError",
    "Slow",
    "TooManyRequests",
    "Unauthorized",
]
