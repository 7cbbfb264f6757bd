"""``eras export``: the follow-up for other systems (FHIR R4)."""

from __future__ import annotations

import json
from datetime import datetime

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, config_error, settings, with_database
from bot.clock import SystemClock
from bot.exports.fhir import InvalidResource, Scope, UnknownScope, bundles, open_export
from bot.protocols.catalogue import ProtocolCatalogue
from bot.settings import ConfigError


def _catalogue() -> ProtocolCatalogue:
    from bot.cli.protocol import all_protocols

    return ProtocolCatalogue(all_protocols())


@click.group()
def export() -> None:
    """Export the follow-up for other systems."""


@export.command("fhir")
@click.option("--patient", "patient_ref", help="Only this patient reference")
@click.option("--team", help="Only this team's patients")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only check-ins due and alerts opened from this day on (YYYY-MM-DD, UTC)",
)
@click.option("--with-names", is_flag=True, help="Include the patients' names (off: refs only)")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file (default: standard output)",
)
def fhir(
    patient_ref: str | None,
    team: str | None,
    since: datetime | None,
    with_names: bool,
    out: str | None,
) -> None:
    """FHIR R4 transaction Bundles: one Bundle (JSON) for --patient, otherwise NDJSON with one
    patient's Bundle a line, each postable to a FHIR server on its own. Re-exporting creates
    nothing twice and carries what changed (stable identifiers; conditional
    updates for what changes, conditional creates for the rest). Recorded in the audit log."""
    if patient_ref is not None and team is not None:
        raise click.UsageError("give --patient or --team, not both")
    try:
        namespace = settings().require_fhir_namespace()
    except ConfigError as error:
        config_error(str(error))
    scope = Scope(
        patient_ref=patient_ref,
        team=team,
        since=since.date() if since is not None else None,
        with_names=with_names,
    )
    catalogue = _catalogue()
    single = patient_ref is not None

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        # The scope is checked before a file is opened: a refusal leaves none behind.
        export = await open_export(sessions, scope, now=SystemClock().now(), actor=admin_ref())
        with click.open_file(out or "-", "w", encoding="utf-8") as sink:
            async for bundle in bundles(sessions, catalogue, export, namespace):
                if single:
                    sink.write(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
                else:
                    sink.write(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")))
                    sink.write("\n")

    try:
        with_database(work)
    except UnknownScope as error:
        raise click.UsageError(str(error)) from None
    except InvalidResource as error:
        raise CommandFailed(f"export stopped: {error}") from None
