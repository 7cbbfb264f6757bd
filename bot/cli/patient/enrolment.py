"""``eras enroll`` and ``eras patient link``: a patient enrolled, and the link they open."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import (
    CommandFailed,
    admin_ref,
    echo_json,
    settings,
    valid_timezone,
    with_database,
)
from bot.cli.patient import links
from bot.cli.patient.bulk import enrol_from_list
from bot.cli.patient.links import (
    FORCE_OPTION,
    QR_OPTION,
    bot_username,
    deep_link,
    echo_link,
    finish_qr,
)
from bot.cli.patient.shared import catalogue
from bot.clock import SystemClock
from bot.patients.enrolment.enrol import DateUnlikely, EnrolmentRefused, enrol
from bot.patients.enrolment.link import Reissued, reissue_link
from bot.protocols.sources import UnknownProtocol
from flows import ProtocolInvalid


@click.command()
@click.option("--protocol", "protocol_spec", help="ID or ID@VERSION")
@click.option("--surgery-date", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--team", "team_name", help="The care team (see `eras team list`)")
@click.option("--ref", help="The hospital's pseudonymous reference")
@click.option("--name", help="The patient's name, shown to the care team only")
@click.option("--tz", "time_zone", callback=lambda c, p, v: v and valid_timezone(v))
@click.option("--lang", "language", help="Language code, e.g. en or es")
@click.option("--discharge-date", type=click.DateTime(["%Y-%m-%d"]))
@click.option(
    "--procedure",
    help="The operation, e.g. MIS-TLIF (the pathway's are listed by `eras protocol show ID`)",
)
@QR_OPTION
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Enrol a list: one patient a row, the columns named after the options (see below)",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --csv: the folder for the links and sheets (default: the list's folder)",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite the files written; take a surgery date more than 90 days back or 60 ahead",
)
@click.option("--json", "as_json", is_flag=True)
def enroll(
    protocol_spec: str | None,
    surgery_date: datetime | None,
    team_name: str | None,
    ref: str | None,
    name: str | None,
    time_zone: str | None,
    language: str | None,
    discharge_date: datetime | None,
    procedure: str | None,
    qr_path: Path | None,
    csv_path: Path | None,
    out_dir: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Enrol a patient: the episode, its check-ins, and a one-time link to give them.

    With --csv FILE, every patient of a list, or none: the header row names the columns
    ref, surgery_date, protocol, team, tz, lang and optionally discharge_date, procedure,
    name. Every row is checked first and every problem reported as FILE:LINE; then the
    list of links (enrolment-links.csv) and one printable sheet a patient are written.
    """
    single = (protocol_spec, surgery_date, team_name, ref, name, time_zone, language)
    if csv_path is not None:
        if any(v is not None for v in (*single, discharge_date, procedure, qr_path)):
            raise click.UsageError("--csv takes each patient's values from the list alone")
        enrol_from_list(csv_path, out_dir, force=force, as_json=as_json)
        return
    if out_dir is not None:
        raise click.UsageError("--out goes with --csv")
    if protocol_spec is None or surgery_date is None or team_name is None or ref is None:
        raise click.UsageError("give --protocol, --surgery-date, --team and --ref (or --csv)")
    config = settings()
    protocols = catalogue()
    username = bot_username(config)
    if qr_path is not None:
        links.check_qr_path(qr_path, force=force)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as session:
            return await enrol(
                session,
                protocols,
                protocol_id=protocol_spec,
                team_name=team_name,
                ref=ref,
                surgery_date=surgery_date.date(),
                discharge_date=discharge_date.date() if discharge_date else None,
                procedure=procedure,
                name=name,
                time_zone=time_zone,
                language=language,
                now=SystemClock().now(),
                actor=admin_ref(),
                force=force,
            )

    try:
        done = with_database(work)
    except DateUnlikely as error:
        raise CommandFailed(f"{error} (if it is right, give --force)") from None
    except (EnrolmentRefused, UnknownProtocol, ProtocolInvalid) as error:
        raise CommandFailed(str(error)) from None
    link = deep_link(username, done.token)
    if as_json:
        echo_json(
            {
                "ref": done.ref,
                "episode_id": done.episode_id,
                "protocol": done.protocol_id,
                "version": done.protocol_version,
                "team": done.team,
                "check_ins": done.check_ins,
                "link": link,
                "token": done.token,
                "expires_at": done.token_expires_at.isoformat(),
                "qr": str(qr_path) if qr_path else None,
            }
        )
    else:
        click.echo(f"enrolled {done.ref} on {done.protocol_id}@{done.protocol_version}")
        click.echo(f"{done.check_ins} check-ins planned; team {done.team}")
        echo_link(link, done.token_expires_at)
    finish_qr(link, qr_path, force=force, quiet=as_json)


@click.command("link")
@click.argument("ref")
@QR_OPTION
@FORCE_OPTION
@click.option("--json", "as_json", is_flag=True)
def link_command(ref: str, qr_path: Path | None, force: bool, as_json: bool) -> None:
    """A new one-time link for patient REF (lost, expired, or a new phone); the earlier
    link stops working. Audited."""
    username = bot_username(settings())
    if qr_path is not None:
        links.check_qr_path(qr_path, force=force)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Reissued:
        async with sessions.begin() as session:
            return await reissue_link(session, ref=ref, now=SystemClock().now(), actor=admin_ref())

    try:
        done = with_database(work)
    except EnrolmentRefused as error:
        raise CommandFailed(str(error)) from None
    link = deep_link(username, done.token)
    if as_json:
        echo_json(
            {
                "ref": done.ref,
                "link": link,
                "token": done.token,
                "expires_at": done.expires_at.isoformat(),
                "revoked": done.revoked,
                "qr": str(qr_path) if qr_path else None,
            }
        )
    else:
        click.echo(f"new link for {done.ref}; earlier links no longer work")
        echo_link(link, done.expires_at)
    finish_qr(link, qr_path, force=force, quiet=as_json)
