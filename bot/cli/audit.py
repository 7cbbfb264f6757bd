"""``eras audit``: who did or saw what, and whether the log is still as it was written."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, with_database
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
    """Check the hash chain from the first row to the last; exit 1 naming the first row
    that was edited, or that does not follow the one before it (a row removed)."""
    count, broken = with_database(audit_log.verify)
    if broken is not None:
        raise CommandFailed(f"audit log broken at row {broken.entry_id}: {broken.reason}")
    click.echo(f"audit log intact: {count} rows, each chained to the one before")
