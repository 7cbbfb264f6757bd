"""What the handlers rely on in an update, checked once before they see it.

python-telegram-bot builds its objects from whatever JSON it is given, without checking
types. Telegram always sends these fields, with these types; an update without them (a
broken client, a proxy, a bug) would otherwise fail deep inside a handler, or inside
python-telegram-bot's own filters, instead of being set aside.
"""

from __future__ import annotations

from typing import Any

from telegram import Chat, MessageEntity, Update

# Ids are stored in BIGINT columns.
_ID_RANGE = range(-(2**63), 2**63)


def _is_id(value: object) -> bool:
    return type(value) is int and value in _ID_RANGE


def _text_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_entity(entity: MessageEntity) -> bool:
    offset, length = entity.offset, entity.length
    return isinstance(entity.type, str) and type(offset) is int and type(length) is int


def _message_problem(message: Any) -> str | None:
    """``message`` may be inaccessible (a button under a message too old to be shown), in
    which case it has a chat and little else."""
    chat = getattr(message, "chat", None)
    if not isinstance(chat, Chat) or not _is_id(chat.id) or not isinstance(chat.type, str):
        return "a message without a proper chat"
    if not all(_text_or_none(getattr(message, f, None)) for f in ("text", "caption")):
        return "text that is not text"
    entities = (*getattr(message, "entities", ()), *getattr(message, "caption_entities", ()))
    if not all(_is_entity(entity) for entity in entities):
        return "a text entity without a proper type, offset or length"
    return None


def malformed(update: Update) -> str | None:
    """Why the handlers cannot take ``update`` (never a word of its content), or None."""
    message = update.effective_message
    if message is not None and (problem := _message_problem(message)):
        return problem
    # Reactions, member changes, join requests… carry a chat of their own; even updates no
    # handler takes are filed by chat inside python-telegram-bot, which needs a real id.
    chat = update.effective_chat
    if chat is not None and (not _is_id(chat.id) or not isinstance(chat.type, str)):
        return "a chat without a proper id or type"
    user = update.effective_user
    if user is not None and not _is_id(user.id):
        return "a sender without a proper id"
    query = update.callback_query
    if query is not None and (query.from_user is None or not _text_or_none(query.data)):
        return "a button press without a sender or with data that is not text"
    return None
