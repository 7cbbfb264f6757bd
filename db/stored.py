"""Stored values read in bulk (reports, exports): answers as their JSON text, instants as the
database gives them.

A follow-up of 20,000 patients holds millions of answers but only a few dozen distinct values
(a pain score, an option id, yes or no): each distinct text is decoded once and the value
shared. SQLAlchemy's own types would decode every row (``json.loads``, and on SQLite a
datetime parsed by regular expression), which was most of the reports' time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, type_coerce

_KEPT = 10_000  # distinct texts kept decoded: free text would otherwise grow without end
_SHAREABLE = (str, int, float, bool, type(None))


def as_stored(column: Any) -> ColumnElement[Any]:
    """The column as the driver gives it, without SQLAlchemy's conversion: an instant as
    SQLite's text or PostgreSQL's datetime (see ``instant``), an enum as its value."""
    return type_coerce(column, Text)


def json_text(column: Any, dialect: str) -> ColumnElement[Any]:
    """A JSON column as its text, for ``JsonValues``: PostgreSQL's jsonb cast to text (its
    driver would decode it otherwise); SQLite's as kept (text, or a number as a number)."""
    return cast(column, Text) if dialect == "postgresql" else type_coerce(column, Text)


class JsonValues:
    """JSON texts decoded, each distinct one once; immutable values are shared, a list or a
    mapping is decoded anew each time (no caller can change another's)."""

    def __init__(self) -> None:
        self._known: dict[str, Any] = {}

    def __call__(self, text: str | float | None) -> Any:
        if not isinstance(text, str):  # SQLite keeps a JSON number as a number (as SQLAlchemy)
            return text
        try:
            return self._known[text]
        except KeyError:
            value = json.loads(text)
        if isinstance(value, _SHAREABLE):
            if len(self._known) >= _KEPT:
                self._known.clear()
            self._known[text] = value
        return value


def instant(stored: str | datetime) -> datetime:
    """An instant in UTC, as ``db.types.UTCDateTime`` reads it: SQLite keeps naive UTC text
    (``2026-12-07 09:30:00.000000``), PostgreSQL gives an aware datetime."""
    value = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
