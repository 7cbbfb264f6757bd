"""Talking to Telegram when the bot starts: waiting out a brief outage, and logging a
handler's failure without what the update said."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram.error import TelegramError

from bot.clock import Clock
from bot.delivery.outcomes import Outcome, classify

log = logging.getLogger(__name__)

STARTUP_MAX_BACKOFF = 30.0


async def log_handler_error(update: object, context: Any) -> None:
    """A handler failed: its transaction rolled back and the inbox tries the update again
    (see ``InboxProcessor``). Only the kind of failure and where it happened are logged:
    an exception's message (an SQL error with its parameters, say) may carry patient data."""
    error = context.error
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    log.error(
        "update %s: handler failed with %s at %s",
        getattr(update, "update_id", None),
        type(error).__name__,
        where,
    )


async def until_telegram_answers(call: Callable[[], Awaitable[None]], clock: Clock) -> None:
    """Retry a start-up call while Telegram is briefly unavailable (5xx, timeouts, 429):
    dying on it would leave a supervisor restarting the bot in a loop. A refused token is
    final."""
    delay = 1.0
    while True:
        try:
            await call()
            return
        except TelegramError as error:
            verdict = classify(error)
            if verdict.outcome not in (Outcome.RETRY, Outcome.UNCERTAIN):
                raise
            wait = verdict.retry_after or delay
            log.warning(
                "Telegram did not answer at start (%s); again in %.0fs", type(error).__name__, wait
            )
            await clock.sleep(wait)
            delay = min(delay * 2, STARTUP_MAX_BACKOFF)
