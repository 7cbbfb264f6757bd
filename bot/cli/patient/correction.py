"""``eras patient update``: correct a follow-up in progress (dates, operation, version, time
zone, language, team)."""

from __future__ import annotations

from datetime import date

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import BadInput, admin_ref, echo_json, iso_date, with_database
from bot.cli.patient.shared import catalogue
from bot.clock import SystemClock
from bot.patients.course.correction import Corrected, Correction, correct
from bot.patients.enrolment.enrol import DateUnlikely, EnrolmentRefused
from bot.protocols.sources import UnknownProtocol
from flows import ProtocolInvalid


@click.command("update")
@click.argument("ref")
@click.option("--surgery-date", callback=iso_date, help="YYYY-MM-DD")
@click.option("--discharge-date", callback=iso_date, help="YYYY-MM-DD")
@click.option("--procedure", help='The operation, e.g. "L4-5 MIS-TLIF" ("" clears it)')
@click.option("--protocol", "protocol_spec", help="Another version or pathway: ID or ID@VERSION")
@click.option("--tz", "time_zone", help="The patient's time zone, e.g. Europe/Madrid")
@click.option("--lang", "language", help="The patient's language, e.g. en or es")
@click.option("--team", "team_name", help="Another care team (see `eras team list`)")
@click.option(
    "--force", is_flag=True, help="Take a surgery date more than 90 days back or 60 ahead"
)
@click.option("--json", "as_json", is_flag=True)
def update_command(
    ref: str,
    surgery_date: date | None,
    discharge_date: date | None,
    procedure: str | None,
    protocol_spec: str | None,
    time_zone: str | None,
    language: str | None,
    team_name: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Correct patient REF's follow-up in progress. Check-ins not yet due follow the new
    dates, zone and version (answered ones stay); the patient is told what changed in their
    language. Audited.

    \b
      eras patient update P-014 --surgery-date 2026-03-12
      eras patient update P-014 --protocol spine-miss-fusion --procedure "L4-5 MIS-TLIF"
    """
    correction = Correction(
        surgery_date=surgery_date,
        discharge_date=discharge_date,
        procedure=procedure,
        protocol=protocol_spec,
        time_zone=time_zone,
        language=language,
        team=team_name,
    )
    if correction.is_empty():
        raise click.UsageError("give at least one new value (see `eras patient update -h`)")
    protocols = catalogue()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Corrected:
        async with sessions.begin() as session:
            return await correct(
                session,
                protocols,
                ref=ref,
                correction=correction,
                now=SystemClock().now(),
                actor=admin_ref(),
                force=force,
            )

    try:
        done = with_database(work)
    except DateUnlikely as error:
        raise BadInput(f"{error} (if it is right, give --force)") from None
    except (EnrolmentRefused, UnknownProtocol, ProtocolInvalid) as error:
        raise BadInput(str(error)) from None
    if as_json:
        echo_json(
            {
                "ref": done.ref,
                "changed": list(done.changed),
                "replanned": done.replanned,
                "told": done.told,
            }
        )
        return
    if not done.changed:
        click.echo(f"{done.ref}: nothing changed (the values given are the current ones)")
        return
    click.echo(f"{done.ref}: {', '.join(name.replace('_', ' ') for name in done.changed)} changed")
    if done.replanned is not None:
        click.echo(f"  {done.replanned} check-ins ahead planned again")
    click.echo("  the patient is told" if done.told else "  nothing is sent to the patient")
