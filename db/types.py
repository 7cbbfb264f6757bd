"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Enum, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from flows import Finding, Tier

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class FindingsJSON(TypeDecorator[tuple[Finding, ...]]):
    """An alert's findings: typed in Python, stored as a JSON list (``Finding.to_json``).

    Read with ``Finding.from_json``, which also reads the findings stored before they were
    typed: no stored row needs converting.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[object]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(
        self, value: tuple[Finding, ...] | None, dialect: Dialect
    ) -> list[dict[str, object]] | None:
        return None if value is None else [finding.to_json() for finding in value]

    def process_result_value(
        self, value: list[dict[str, object]] | None, dialect: Dialect
    ) -> tuple[Finding, ...] | None:
        return None if value is None else tuple(Finding.from_json(data) for data in value)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant in UTC, always timezone-aware in Python.

    SQLite has no time zones and would hand back naive datetimes; a naive value coming in
    is a programming error (whose clock was it?), so it is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum: type[StrEnum]) -> Enum:
    """A portable enum column: a VARCHAR holding the member's value, validated in Python.

    Non-native so that adding a state is a plain code change rather than an ALTER TYPE.
    """
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=24,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def tier_enum() -> Enum:
    """A tier column: like ``str_enum``, and checked by the database too (``ck_<table>_tier``).

    Tiers are clinical vocabulary that rules, advice and escalation chains are written in; a
    new one is a migration anyway, so the database may as well refuse what is not a tier.
    """
    return Enum(
        Tier,
        name="tier",
        native_enum=False,
        create_constraint=True,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
