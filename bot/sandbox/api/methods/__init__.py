"""The Bot API methods the sandbox answers, each a function of the call's context.

A method returns the ``result`` of ``{"ok": true, "result": ...}`` or raises ``ApiError``.
Telegram matches method names without regard to case, and so does ``find``.
"""

from __future__ import annotations

# Importing the modules registers their methods.
from bot.sandbox.api.methods import chats, media, messages, profile, updates  # noqa: F401
from bot.sandbox.api.methods.registry import METHODS, Context, Method

__all__ = ["Context", "Method", "find"]


def find(name: str) -> Method | None:
    return METHODS.get(name.lower())
