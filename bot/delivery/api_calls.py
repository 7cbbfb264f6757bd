"""How a stored outbox payload becomes one Bot API call through python-telegram-bot.

Payloads are stored as Bot API field names with JSON values, so that a message written by
one version of the bot can be sent by the next; a photo made by the bot travels as base64.
"""

from __future__ import annotations

import base64
from collections.abc import Coroutine
from typing import Any

from telegram import Bot, InputFile, Message

# A photo made by the bot (a chart) travels in the payload as base64 and is uploaded;
# ``photo`` is a file Telegram already has.
UPLOADED_PNG = "photo_png_base64"
_NOT_API_KWARGS = frozenset({"text", "photo", "voice", UPLOADED_PNG, "message_id"})


def png_photo(data: bytes, caption: str | None = None) -> dict[str, Any]:
    """A sendPhoto payload that uploads ``data`` (a PNG) when it is sent."""
    payload: dict[str, Any] = {UPLOADED_PNG: base64.b64encode(data).decode("ascii")}
    if caption:
        payload["caption"] = caption
    return payload


def _photo(payload: dict[str, Any]) -> str | InputFile:
    if UPLOADED_PNG in payload:
        data = base64.b64decode(payload[UPLOADED_PNG], validate=True)  # ValueError if not
        return InputFile(data, filename="chart.png")
    return str(payload["photo"])


def api_call(
    bot: Bot, method: str, chat_id: int, payload: dict[str, Any]
) -> Coroutine[Any, Any, Message | bool]:
    """One Bot API call from a stored payload (Bot API field names, JSON values), not yet
    made: ``KeyError`` or ``ValueError`` here means it cannot be made at all."""
    rest = {k: v for k, v in payload.items() if k not in _NOT_API_KWARGS}
    if method == "sendMessage":
        return bot.send_message(chat_id, payload["text"], api_kwargs=rest)
    if method == "sendPhoto":
        return bot.send_photo(chat_id, _photo(payload), api_kwargs=rest)
    if method == "sendVoice":  # a voice message Telegram already has
        return bot.send_voice(chat_id, str(payload["voice"]), api_kwargs=rest)
    if method == "deleteMessage":
        return bot.delete_message(chat_id, payload["message_id"], api_kwargs=rest)
    if method == "editMessageText":
        return bot.edit_message_text(
            payload["text"], chat_id=chat_id, message_id=payload["message_id"], api_kwargs=rest
        )
    if method == "editMessageReplyMarkup":
        return bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=payload["message_id"], api_kwargs=rest
        )
    raise ValueError(f"the outbox cannot send {method!r}")
