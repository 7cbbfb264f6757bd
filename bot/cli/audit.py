"""``eras audit``: who did or saw what, and whether the log is still as it was written."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, with_database
from bot.clock import SystemClock
from db.audit import BrokenLink, ChainCheck, append
from db.models import AuditEntry


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
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if patient_ref is not None:
            query = query.where(AuditEntry.patient_ref == patient_ref)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if refused:
            query = query.where(AuditEntry.outcome == "refused")
        async with sessions.begin() as session:
            entries = [_entry(e) for e in await session.scalars(query)]
            if patient_ref is not None:
                await append(
                    session,
                    at=SystemClock().now(),
                    actor_kind="cli",
                    actor_ref=admin_ref(),
                    action="audit.list",
                    origin="cli",
                    patient_ref=patient_ref,
                    detail={"entries": len(entries)},
                )
        return entries

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


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor_kind": entry.actor_kind,
        "actor_ref": entry.actor_ref,
        "action": entry.action,
        "outcome": entry.outcome,
        "patient_ref": entry.patient_ref,
        "origin": entry.origin,
        "detail": entry.detail,
    }


@audit.command("verify")
def verify() -> None:
    """Check the hash chain from the first row to the last; exit 1 naming the first row
    that was edited, or that does not follow the one before it (a row removed)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, BrokenLink | None]:
        check = ChainCheck()
        async with sessions() as session:
            rows = await session.stream_scalars(
                select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
            )
            async for entry in rows:
                if broken := check.follow(entry):
                    return check.rows, broken
        return check.rows, None

    count, broken = with_database(work)
    if broken is not None:
        raise CommandFailed(f"audit log broken at row {broken.entry_id}: {broken.reason}")
    click.echo(f"audit log intact: {count} rows, each chained to the one before")
