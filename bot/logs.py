"""How the bot logs: pseudonymous references, never a patient's words, name or link, nor
the bot token, whatever level an operator chooses.

The bot's own lines are written that way. Two kinds of line are not ours:

- Libraries log what passes through them below WARNING: python-telegram-bot whole updates
  and request parameters (names, what patients wrote, link tokens), httpx and httpcore
  request URLs (which carry the bot token), SQLAlchemy and the drivers SQL statements with
  their parameters. Their loggers are pinned at WARNING; should one be turned up anyway
  (``echo=True``, a debugging session), its lines below WARNING keep only that they
  happened. Pinning alone would not survive the latter, withholding alone would make every
  library build lines nobody may read.
- An exception's message may quote data (SQLAlchemy's quotes the statement's parameters),
  so a logged exception keeps its type and its traceback's frames, not its message.

Both are done when a record is made, so that every handler (a file, the console, a test's
capture) gets the same safe record. Secrets given (the bot token) are masked in any line.

Routine library lines are not the operator's business at INFO: APScheduler's two INFO lines
for every run of every job are DEBUG lines here, shown at DEBUG only (httpx's line per
request is pinned above).
The bot itself logs one INFO line for a round that did something, none for an idle one.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import IO, Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LIBRARIES = ("telegram", "httpx", "httpcore", "sqlalchemy", "aiosqlite", "asyncpg", "aiohttp")
ROUTINE = ("apscheduler",)  # INFO lines for each run of a job: DEBUG here
WITHHELD = "(detail withheld: library lines below WARNING may quote patient data or the token)"
MASK = "[secret]"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def configure_logging(
    level: str, *, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> None:
    """Log at ``level`` to ``stream`` (default: standard error), safely; see above."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    routine = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in ROUTINE:
        logging.getLogger(name).setLevel(routine)
    current = logging.getLogRecordFactory()
    if isinstance(current, SafeRecords):
        current = current.make
    logging.setLogRecordFactory(SafeRecords(current, secrets))


def withheld_traceback(exc_info: ExcInfo) -> str:
    """Where an exception came from and what kind it was, without its message."""
    _kind, error, trace = exc_info
    frames = "".join(traceback.format_list(traceback.extract_tb(trace)))
    return (
        f"Traceback (most recent call last):\n{frames}"
        f"{type(error).__module__}.{type(error).__qualname__} (message withheld)"
    )


class SafeRecords:
    """A log record factory that makes each record safe before any handler sees it."""

    def __init__(self, make: Callable[..., logging.LogRecord], secrets: Iterable[str]) -> None:
        self.make = make
        self.secrets = tuple(s for s in secrets if s)

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        if record.levelno == logging.INFO and record.name.split(".")[0] in ROUTINE:
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        if record.levelno < logging.WARNING and record.name.split(".")[0] in LIBRARIES:
            record.msg, record.args = WITHHELD, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = withheld_traceback(record.exc_info)
            record.exc_info = None
        if self.secrets:
            self._mask(record)
        return record

    def _mask(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format: logging reports it, unformatted
            message = str(record.msg)
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, MASK)
            record.msg, record.args = message, ()
