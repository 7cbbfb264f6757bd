"""Rows into the database in bulk: COPY on PostgreSQL, one executemany per chunk on SQLite.

Set-up is not what the benchmarks measure; the rows carry their ids, and PostgreSQL's
sequences are moved on after them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import Base

CHUNK = 20_000


async def insert_rows(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        for chunk in chunks(rows, CHUNK):
            await connection.execute(insert(table), chunk)
        return
    columns = list(rows[0])
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    for chunk in chunks(rows, CHUNK):
        records = [tuple(_for_copy(row[name]) for name in columns) for row in chunk]
        await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _for_copy(value: Any) -> Any:
    """COPY takes the driver's own types: text for enums and JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, str):
        return str(value)  # a StrEnum member as its plain value
    return value


async def next_id(connection: AsyncConnection, table: Table) -> int:
    return int(await connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


async def resume_sequences(connection: AsyncConnection) -> None:
    """Ids were given explicitly: PostgreSQL's sequences carry on after them."""
    if connection.dialect.name != "postgresql":
        return
    for table in ("patients", "episodes", "checkins", "outbox_messages", "alerts"):
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )
    await connection.commit()


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
