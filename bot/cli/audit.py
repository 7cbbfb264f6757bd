"""``eras audit``: who did or saw what, and whether the log is still as it was written."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, settings, with_database
from bot.clock import SystemClock
from bot.reports import audit_log


@click.group()
def audit() -> None:
    """The append-only audit log."""


@audit.command("list")
@click.option("--patient", "patient_ref", help="Only entries about this patient reference")
@click.option("--action", help="Only this action, e.g. alert.acknowledge or patient.view")
@click.option("--refused", is_flag=True, help="Only refused attempts")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_entries(
    patient_ref: str | None, action: str | None, refused: bool, limit: int, as_json: bool
) -> None:
    """Entries newest first (reading a patient's entries is itself recorded)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions.begin() as session:
            return await audit_log.entries(
                session,
                patient_ref=patient_ref,
                action=action,
                refused=refused,
                limit=limit,
                now=SystemClock().now(),
                actor=admin_ref(),
            )

    entries = with_database(work)
    if as_json:
        echo_json(entries)
        return
    if not entries:
        click.echo("no entries")
    for e in entries:
        about = f" {e['patient_ref']}" if e["patient_ref"] else ""
        click.echo(
            f"#{e['id']:<6} {e['at'][:19]}Z  {e['actor_ref']:<18} {e['action']:<22} "
            f"{e['outcome']:<12} {e['origin']}{about}"
        )


@audit.command("verify")
def verify() -> None:
    """Check the hash chain from the first row to the last, and that it still reaches its
    newest checkpoint; exit 1 naming the first row that was edited or does not follow the one
    before it, or saying that rows were cut from the end (or all of them)."""
    key = settings().audit_key_bytes()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> audit_log.ChainReport:
        return await audit_log.verify(sessions, key)

    report = with_database(work)
    if report.broken is not None:
        where = f" at row {report.broken.entry_id}" if report.broken.entry_id else ""
        raise CommandFailed(f"audit log broken{where}: {report.broken.reason}")
    anchored = (
        f", up to checkpoint {report.checkpoint.id} of {report.checkpoint.row_count} rows"
        if report.checkpoint
        else " (no checkpoint yet)"
    )
    click.echo(f"audit log intact: {report.rows} rows, each chained to the one before{anchored}")
