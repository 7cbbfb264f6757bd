"""``eras patient list|show|erase|purge``: what admins see of the patients, and erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, settings, with_database
from bot.clock import SystemClock
from bot.patients.records import listing
from bot.privacy.erasure import ErasureRefused, erase_patient
from bot.privacy.retention import purge


@click.command("list")
@click.option("--pathway", help="Only the episodes on this pathway (ID)")
@click.option("--json", "as_json", is_flag=True)
def list_patients(pathway: str | None, as_json: bool) -> None:
    """Every episode, one line each, with its procedure (to check who belongs on which
    pathway)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions() as session:
            return await listing.episodes(session, pathway=pathway)

    rows = with_database(work)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"nobody on {pathway}" if pathway else "no patients enrolled yet")
    for r in rows:
        c = r["check_ins"]
        click.echo(
            f"{r['ref']:<12} {r['status']:<11} {r['protocol']:<22} "
            f"{r['procedure'] or 'procedure not recorded':<28} surgery {r['surgery_date']}  "
            f"check-ins {c['completed']} done, {c['missed']} missed, {c['scheduled']} ahead"
        )


@click.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def show_patient(ref: str, as_json: bool) -> None:
    """One patient's episodes and where they stand (the view is audited)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions.begin() as session:
            return await listing.patient(session, ref, now=SystemClock().now(), actor=admin_ref())

    rows = with_database(work)
    if not rows:
        raise CommandFailed(f"no patient with reference {ref!r}")
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        c = r["check_ins"]
        click.echo(f"{r['ref']}{' (' + r['name'] + ')' if r['name'] else ''}: {r['status']}")
        click.echo(f"  protocol   {r['protocol']}, team {r['team']}")
        click.echo(f"  procedure  {r['procedure'] or 'not recorded'}")
        click.echo(f"  surgery    {r['surgery_date']}, discharge {r['discharge_date'] or '-'}")
        click.echo(f"  language   {r['language']}, time zone {r['timezone']}")
        click.echo(f"  telegram   {'linked' if r['telegram_linked'] else 'not linked yet'}")
        if r["erased_at"]:
            click.echo(f"  erased     {r['erased_at']}")
        click.echo(
            f"  check-ins  {c['completed']} completed, {c['missed']} missed, "
            f"{c['scheduled']} scheduled"
        )


KEEP_CLINICAL = click.option(
    "--keep-clinical/--drop-clinical",
    default=True,
    show_default=True,
    help="Keep the pseudonymous clinical record (check-ins, scores, alerts and outcomes)",
)


@click.command("erase")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
@KEEP_CLINICAL
@click.option("--json", "as_json", is_flag=True)
def erase_command(ref: str, yes: bool, keep_clinical: bool, as_json: bool) -> None:
    """Erase what identifies patient REF: Telegram account, name, what they wrote and sent,
    messages to them. Follow-up stops. Audited."""
    if not yes:
        click.confirm(f"Erase everything that identifies {ref}? This cannot be undone", abort=True)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as session:
            return await erase_patient(
                session, ref, SystemClock().now(), actor=admin_ref(), keep_clinical=keep_clinical
            )

    try:
        done = with_database(work)
    except ErasureRefused as error:
        raise CommandFailed(str(error)) from None
    if as_json:
        echo_json({"ref": done.ref, "erased_at": done.erased_at, "already": done.already})
    elif done.already:
        click.echo(f"{ref} was erased already, at {done.erased_at:%Y-%m-%d %H:%M} UTC")
    else:
        kept = "clinical record kept" if done.clinical_kept else "clinical record dropped"
        click.echo(
            f"{ref} erased ({kept}); {done.raw_updates} Telegram updates emptied, "
            f"{done.messages} messages cancelled"
        )


@click.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    help="Days since the follow-up ended (default: ERAS_RETENTION_DAYS)",
)
@click.option("--dry-run", is_flag=True, help="List who would be erased; change nothing")
@KEEP_CLINICAL
@click.option("--json", "as_json", is_flag=True)
def purge_command(days: int | None, dry_run: bool, keep_clinical: bool, as_json: bool) -> None:
    """Erase the patients whose follow-up ended more than DAYS ago (see `patient erase`)."""
    days = days or settings().retention_days
    if days is None:
        raise CommandFailed("give --older-than DAYS or set ERAS_RETENTION_DAYS")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        return await purge(
            sessions,
            SystemClock().now(),
            timedelta(days=days),
            actor=admin_ref(),
            keep_clinical=keep_clinical,
            dry_run=dry_run,
        )

    done = with_database(work)
    if as_json:
        echo_json({"cutoff": done.cutoff, "erased": done.erased, "dry_run": dry_run})
        return
    verb = "would be erased" if dry_run else "erased"
    click.echo(
        f"{len(done.erased)} patients {verb} (follow-up ended before {done.cutoff:%Y-%m-%d})"
    )
    for ref in done.erased:
        click.echo(f"  {ref}")
