"""The outcomes report's use case, for ``eras report outcomes`` and the console's page: check
and record the request, then write the report.

Every report is written to the audit log (who, the scope, the format) before anything is
read, as the FHIR export is: it shows the follow-up of many patients.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import datetime
from typing import IO

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.outcomes import rendering, report
from bot.reports.outcomes.long_format import COLUMNS, long_rows
from bot.reports.outcomes.reading import (
    PATHWAY_KINDS,
    ReadScope,
    Scope,
    read_scope,
    team_id,
)
from db.audit import append
from db.models import ProtocolVersion, Team

ACTION = "outcomes.report"


async def open_report(
    sessions: async_sessionmaker[AsyncSession],
    scope: Scope,
    report_format: str,
    *,
    now: datetime,
    actor: str,
) -> None:
    """Check the scope (``UnknownTeam`` names a team that is not there) and record it."""
    async with sessions.begin() as session:
        await _record(session, scope, report_format, now=now, actor=("cli", actor, "cli"))


async def _record(
    session: AsyncSession,
    scope: Scope,
    report_format: str,
    *,
    now: datetime,
    actor: tuple[str, str, str],  # kind, reference, origin
) -> None:
    team = await team_id(session, scope.team)
    detail = {k: v for k, v in scope.described().items() if v is not None}
    if scope.team_ids is not None:
        detail["teams"] = sorted(scope.team_ids)
    kind, ref, origin = actor
    await append(
        session,
        at=now,
        actor_kind=kind,
        actor_ref=ref,
        action=ACTION,
        origin=origin,
        detail=detail | {"format": report_format, "team_id": team},
    )


async def report_page(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    scope: Scope,
    *,
    now: datetime,
    staff_id: int,
) -> Markup:
    """The console's page: recorded (as the command's report is), read in the caller's
    transaction, and rendered away from the event loop, which the bot shares."""
    await _record(session, scope, "page", now=now, actor=("staff", f"staff:{staff_id}", "console"))
    found = await read_scope(session, catalogue, scope)
    return await asyncio.to_thread(_fragment, found, scope, now)


def _fragment(found: ReadScope, scope: Scope, now: datetime) -> Markup:
    built = report.build(found.episodes, found.alerts, scope=scope.described(), generated_at=now)
    return rendering.as_fragment(built)


async def write_report(
    sessions: async_sessionmaker[AsyncSession],
    catalogue: ProtocolCatalogue,
    scope: Scope,
    report_format: str,
    sink: IO[str],
    *,
    now: datetime,
) -> None:
    if report_format == "csv":
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(COLUMNS)
        async with sessions.begin() as session:
            async for rows in long_rows(session, catalogue, scope):
                writer.writerows(rows)
        return
    async with sessions.begin() as session:
        found = await read_scope(session, catalogue, scope)
    built = report.build(found.episodes, found.alerts, scope=scope.described(), generated_at=now)
    sink.write(rendering.as_html(built) if report_format == "html" else rendering.as_json(built))
    sink.write("\n")


async def report_choices(
    session: AsyncSession, team_ids: frozenset[int]
) -> tuple[list[tuple[int, str]], list[str]]:
    """What the console's form offers: the staff member's teams (id, name) and the pathways
    this deployment knows."""
    teams = await session.execute(
        select(Team.id, Team.name).where(Team.id.in_(team_ids)).order_by(Team.name)
    )
    known = await session.scalars(select(ProtocolVersion.protocol_id).distinct())
    return [(i, n) for i, n in teams.tuples()], sorted(set(known) | set(PATHWAY_KINDS))
