"""``eras report outcomes``' use case: check and record the request, then write the report.

Every report is written to the audit log (who, the scope, the format) before anything is
read, as the FHIR export is: it shows the follow-up of many patients.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.outcomes import rendering, report
from bot.reports.outcomes.long_format import COLUMNS, long_rows
from bot.reports.outcomes.reading import Scope, read_scope, team_id
from db.audit import append

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
        team = await team_id(session, scope.team)
        detail = {k: v for k, v in scope.described().items() if v is not None}
        await append(
            session,
            at=now,
            actor_kind="cli",
            actor_ref=actor,
            action=ACTION,
            origin="cli",
            detail=detail | {"format": report_format, "team_id": team},
        )


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
        writer = csv.DictWriter(sink, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        async with sessions.begin() as session:
            async for row in long_rows(session, catalogue, scope):
                writer.writerow(row)
        return
    async with sessions.begin() as session:
        found = await read_scope(session, catalogue, scope)
    built = report.build(found.episodes, found.alerts, scope=scope.described(), generated_at=now)
    sink.write(rendering.as_html(built) if report_format == "html" else rendering.as_json(built))
    sink.write("\n")
