"""A fake Telegram Bot API server for tests and the demo.

It speaks the real Bot API over HTTP, so the real python-telegram-bot client talks to it;
it records every call, plays the people on the other side and fails on demand. Point the
bot at it with ``Settings(telegram_api_url=sandbox.url, telegram_token=sandbox.token)``;
any well-formed token works and is recorded per call, so several bots can share one.

In the same process (tests; ``tests/fixtures/telegram.py`` has ready fixtures)::

    async with Sandbox() as sb:
        alice = sb.user("Alice")                       # .id, .chat_id
        ward = sb.group("Ward 5", members=(nurse,))    # ward.add_member(...)
        sb.open_deep_link(alice, "token")              # same as sb.send_text(alice, "/start token")
        reply = await sb.wait_for_message(alice)       # a Message dict; no sleeping
        sb.press_button(nurse, reply, "ack:7")         # or text="Acknowledge"
        sb.fail_next("sendMessage", chat_id=alice.chat_id, error=TooManyRequests(retry_after=1))
        sb.enforce_limits(True)                        # 429 like Telegram's flood limits
        sb.ledger.calls("sendMessage")                 # every call: at, wall, outcome, status...
        sb.photo_data(message)                         # the bytes of a photo the bot sent

From another process, ``eras sandbox`` (or ``python -m bot.sandbox``) serves the same
things under ``/sandbox``; ``bot.sandbox.serving.client.SandboxClient`` wraps them:

    GET  /sandbox                          where it listens, its token, last ledger seq,
                                           whether a getUpdates is waiting ("polling")
    POST /sandbox/users                    {"first_name", "started"?, ...} -> user with chat_id
    POST /sandbox/users/batch              {"count", "first_name", ...}  -> {"users": [...]}
    POST /sandbox/groups                   {"title", "members": [ids], "supergroup"}
    POST /sandbox/groups/{id}/members      {"user_id"}
    POST /sandbox/groups/{id}/migrate      -> the new supergroup
    POST /sandbox/users/{id}/block|unblock|delete
    POST /sandbox/send_text                {"user_id", "text", "chat_id"?, "reply_to_message_id"?}
    POST /sandbox/press_button             {"user_id", "message_id", "data" | "text", "chat_id"?}
    POST /sandbox/send_photo               {"user_id", "data_base64", "caption"?}
    POST /sandbox/edit_text                {"user_id", "message_id", "text", "chat_id"?}
    POST /sandbox/updates                  {"update": {...}}          any update, as given
    GET  /sandbox/updates                  updates not yet confirmed by the bot
    GET  /sandbox/calls?method=&chat_id=&token=&after=SEQ&wait=SECONDS
    GET  /sandbox/messages?chat_id=        the bot's messages in a chat, as they stand
    GET  /sandbox/files/{file_id}          {"file_name", "mime_type", "data_base64"}
    GET|POST|DELETE /sandbox/faults        {"fault": {"kind": "too_many_requests",
                                            "retry_after": 2}, "method", "chat_id", "times"}
    PUT  /sandbox/limits                   {"enabled": true, "limits": {...}?}
    POST /sandbox/reset

People-actions take an optional "token" to talk to another bot than the sandbox's own.
"""

from bot.sandbox.api.faults import (
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
from bot.sandbox.api.ledger import Call
from bot.sandbox.api.limits import Limits
from bot.sandbox.service import Sandbox
from bot.sandbox.serving.server import SandboxServer
from bot.sandbox.world.state import DEFAULT_TOKEN, Group, Person

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
    "SandboxServer",
    "ServerError",
    "Slow",
    "TooManyRequests",
    "Unauthorized",
]
