"""Claiming due work so that each piece is done by exactly one process.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` hands each row to one transaction and lets
the others pass it by. SQLite has no row locks; the compare-and-set update that follows
(still claimable? then it is mine) is what settles a race there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

Row = TypeVar("Row")


async def claim(
    session: AsyncSession,
    model: type[Row],
    *,
    claimable: ColumnElement[bool],
    order_by: Sequence[InstrumentedAttribute[Any]],
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    values: dict[str, Any] | None = None,
) -> list[Row]:
    """Lease up to ``limit`` claimable rows to ``owner`` and return them, in order.

    ``model`` needs ``id``, ``lease_owner`` and ``lease_until`` columns; ``values`` are
    set on the claimed rows as part of the claim.
    """
    table: Any = model
    ids = list(
        await session.scalars(
            select(table.id)
            .where(claimable)
            .order_by(*order_by)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    # The rows this update changed are the ones claimed here, and only those: another
    # claim by the same owner at the same instant sets the very same lease.
    claimed = list(
        await session.scalars(
            update(table)
            .where(table.id.in_(ids), claimable)
            .values(lease_owner=owner, lease_until=now + lease, **(values or {}))
            .returning(table.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        return []
    rows = await session.scalars(
        select(table)
        .where(table.id.in_(claimed))
        .order_by(*order_by)
        .execution_options(populate_existing=True)
    )
    return list(rows)
