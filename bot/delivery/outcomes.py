"""The one place that turns Telegram's exceptions into a small vocabulary.

Every sender asks ``classify`` what an exception means, so the policy (retry, give up,
mark the patient unreachable, never resend blindly) is decided here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # try again later (429 with retry_after, 5xx, connection never made)
    UNREACHABLE = "unreachable"  # the chat is gone or has blocked the bot: stop sending
    PERMANENT = "permanent"  # this message can never be sent as it is (e.g. bad markup)
    UNCERTAIN = "uncertain"  # the request left and no answer came: it may have arrived
    MIGRATED = "migrated"  # a group became a supergroup: send to the new chat id
    FATAL = "fatal"  # the bot itself is misconfigured (token revoked, another poller)


@dataclass(frozen=True)
class Classified:
    outcome: Outcome
    reason: str
    retry_after: float | None = None
    new_chat_id: int | None = None


# Telegram's wording, lower-cased: the chat cannot receive messages from this bot any more.
_UNREACHABLE_BAD_REQUESTS = ("chat not found", "user not found", "peer_id_invalid")
# An edit that changes nothing: what we wanted is already on the screen.
_ALREADY_DONE_BAD_REQUESTS = ("message is not modified",)
# Exceptions under which the request certainly never reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _never_left(error: BaseException) -> bool:
    cause = error.__cause__
    return isinstance(cause, _NOT_SENT) or "pool timeout" in str(error).lower()


def classify(error: BaseException) -> Classified:
    """What an exception raised by a Bot API call means for the message."""
    reason = f"{type(error).__name__}: {error}"[:200]
    if isinstance(error, RetryAfter):
        return Classified(Outcome.RETRY, reason, retry_after=_seconds(error.retry_after))
    if isinstance(error, ChatMigrated):
        return Classified(Outcome.MIGRATED, reason, new_chat_id=error.new_chat_id)
    if isinstance(error, Forbidden):
        return Classified(Outcome.UNREACHABLE, reason)
    if isinstance(error, BadRequest):
        text = str(error).lower()
        if any(words in text for words in _UNREACHABLE_BAD_REQUESTS):
            return Classified(Outcome.UNREACHABLE, reason)
        if any(words in text for words in _ALREADY_DONE_BAD_REQUESTS):
            return Classified(Outcome.DELIVERED, reason)
        return Classified(Outcome.PERMANENT, reason)
    if isinstance(error, InvalidToken | Conflict):
        return Classified(Outcome.FATAL, reason)
    if isinstance(error, TimedOut):
        # A read or write timeout: Telegram may have acted on it. Only a timeout before
        # the connection existed is safe to retry.
        return Classified(Outcome.RETRY if _never_left(error) else Outcome.UNCERTAIN, reason)
    if isinstance(error, NetworkError):
        # Telegram answered 5xx, or the connection was refused: nothing was delivered,
        # unless the connection broke while the answer was on its way back.
        if isinstance(error.__cause__, httpx.RemoteProtocolError | httpx.ReadError):
            return Classified(Outcome.UNCERTAIN, reason)
        return Classified(Outcome.RETRY, reason)
    # Anything else (e.g. an answer that could not be parsed) came after the request left.
    return Classified(Outcome.UNCERTAIN, reason)
