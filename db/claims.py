"""Claiming due work so that each piece is done by exactly one process.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` hands each row to one transaction and lets
the others pass it by. SQLite has no row locks; the compare-and-set update that follows
(still claimable? then it is mine) is what settles a race there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

Row = TypeVar("Row")


@dataclass(frozen=True)
class Claim:
    """A claim's statements, built once for a ``claimable`` condition: a claimer that runs
    many times a second builds them once. Executed with the condition's own parameters and
    ``limit``, ``claim_owner``, ``claim_until``, ``ids`` and ``claimed``."""

    pick: Select[Any]
    take: Update
    rows: Select[Any]
    peek: Select[Any]  # one claimable row's id, if any: a look that locks nothing


def prepare(
    model: type[Any],
    *,
    claimable: ColumnElement[bool],
    order_by: Sequence[InstrumentedAttribute[Any]],
    values: dict[str, Any] | None = None,
) -> Claim:
    """The statements of a claim on ``model`` (it needs ``id``, ``lease_owner`` and
    ``lease_until`` columns); ``values`` are set on the claimed rows as part of the claim."""
    table: Any = model
    pick = (
        select(table.id)
        .where(claimable)
        .order_by(*order_by)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    # The rows this update changed are the ones claimed here, and only those: another
    # claim by the same owner at the same instant sets the very same lease.
    take = (
        update(table)
        .where(table.id.in_(bindparam("ids", expanding=True)), claimable)
        .values(
            lease_owner=bindparam("claim_owner", type_=table.lease_owner.type),
            lease_until=bindparam("claim_until", type_=table.lease_until.type),
            **(values or {}),
        )
        .returning(table.id)
        .execution_options(synchronize_session=False)
    )
    rows = (
        select(table)
        .where(table.id.in_(bindparam("claimed", expanding=True)))
        .order_by(*order_by)
        .execution_options(populate_existing=True)
    )
    return Claim(pick, take, rows, select(table.id).where(claimable).limit(1))


async def anything_to_claim(
    session: AsyncSession, prepared: Claim, parameters: dict[str, Any]
) -> bool:
    """Whether ``prepared``'s condition holds for any row now. Read before a claim, it
    spares the claim's transaction (a write, on SQLite, that waits its turn) when there is
    nothing to claim, which is most of the time; a row written just after is the next
    look's."""
    return await session.scalar(prepared.peek, parameters) is not None


async def claim_prepared(
    session: AsyncSession,
    prepared: Claim,
    parameters: dict[str, Any],
    *,
    owner: str,
    until: datetime,
    limit: int,
) -> list[Any]:
    """Lease up to ``limit`` rows of ``prepared``'s condition (its ``parameters``) to
    ``owner`` until ``until``, and return them, in order."""
    ids = list(await session.scalars(prepared.pick, {**parameters, "limit": limit}))
    if not ids:
        return []
    claimed = list(
        await session.scalars(
            prepared.take,
            {**parameters, "ids": ids, "claim_owner": owner, "claim_until": until},
        )
    )
    if not claimed:
        return []
    return list(await session.scalars(prepared.rows, {"claimed": claimed}))


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
    prepared = prepare(model, claimable=claimable, order_by=order_by, values=values)
    return await claim_prepared(session, prepared, {}, owner=owner, until=now + lease, limit=limit)
