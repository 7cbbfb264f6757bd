"""``eras report``: reports for the hospital, made from the follow-up's own data."""

from __future__ import annotations

from datetime import datetime

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import admin_ref, with_database
from bot.clock import SystemClock
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.outcomes import FORMATS
from bot.reports.outcomes.reading import Scope, UnknownTeam

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _catalogue() -> ProtocolCatalogue:
    from bot.cli.protocol import all_protocols

    return ProtocolCatalogue(all_protocols())


@click.group()
def report() -> None:
    """Reports on the follow-up, for the care team and the hospital."""


@report.command("outcomes")
@click.option("--team", help="Only this team's patients (default: every team)")
@click.option(
    "--pathway",
    "pathways",
    multiple=True,
    help="Only this pathway, e.g. spine-miss-lumbar (repeat for several; default: all)",
)
@click.option("--from", "surgery_from", type=_DAY, help="Surgery on or after this day (YYYY-MM-DD)")
@click.option("--to", "surgery_to", type=_DAY, help="Surgery on or before this day (YYYY-MM-DD)")
@click.option(
    "--format",
    "report_format",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html: one self-contained page; json: the same numbers; csv: the data in long format",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file (default: standard output)",
)
def outcomes(
    team: str | None,
    pathways: tuple[str, ...],
    surgery_from: datetime | None,
    surgery_to: datetime | None,
    report_format: str,
    out: str | None,
) -> None:
    """Recovery curves per pathway (MISS vs open), pain, walking and opioid use by POD, alert
    burden and precision, complications as recorded at resolve. Counts under five are shown as
    "<5" in html and json, never in csv (one row per answer and per alert event; its columns
    are described in docs/OUTCOMES.md). Recorded in the audit log."""
    if surgery_from and surgery_to and surgery_from > surgery_to:
        raise click.UsageError("--from is after --to")
    scope = Scope(
        team=team,
        pathways=pathways,
        surgery_from=surgery_from.date() if surgery_from else None,
        surgery_to=surgery_to.date() if surgery_to else None,
    )
    catalogue = _catalogue()
    # Here, not at the top: statistics and plotting take seconds to load, every other
    # command would wait for them.
    from bot.reports.outcomes.writing import open_report, write_report

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        now = SystemClock().now()
        # The scope is checked before a file is opened: a refusal leaves none behind.
        await open_report(sessions, scope, report_format, now=now, actor=admin_ref())
        with click.open_file(out or "-", "w", encoding="utf-8") as sink:
            await write_report(sessions, catalogue, scope, report_format, sink, now=now)

    try:
        with_database(work)
    except UnknownTeam as error:
        raise click.UsageError(str(error)) from None
