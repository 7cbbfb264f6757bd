"""``eras patient pause|resume|withdraw``: the team steers a follow-up in progress."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import admin_ref
from bot.cli.patient.shared import emergency_number, refused_as_failure
from bot.clock import SystemClock
from bot.patients.course.hold import HoldChanged, put_on_hold, resume
from bot.patients.course.withdrawal import Withdrawn, withdraw


@click.command("pause")
@click.argument("ref")
def pause_command(ref: str) -> None:
    """Put patient REF's follow-up on hold (e.g. readmitted): nothing is sent, no missed
    check-in raises an alert, the patient is told once; only `eras patient resume` restarts
    it. Shown as on_hold in `patient list`/`show` and in the team's digest. Audited."""
    emergency = emergency_number()
    now = SystemClock().now()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> HoldChanged:
        async with sessions.begin() as session:
            return await put_on_hold(
                session, ref=ref, now=now, actor=admin_ref(), emergency_number=emergency
            )

    done = refused_as_failure(work)
    told = "the patient is told" if done.told else "not linked yet: nobody to tell"
    click.echo(f"{done.ref}: on hold; nothing will be sent until `eras patient resume` ({told})")


@click.command("resume")
@click.argument("ref")
def resume_command(ref: str) -> None:
    """Restart patient REF's follow-up after `eras patient pause`; a check-in whose window
    closed meanwhile is not sent, one still open is sent now. Audited."""
    now = SystemClock().now()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> HoldChanged:
        async with sessions.begin() as session:
            return await resume(session, ref=ref, now=now, actor=admin_ref())

    done = refused_as_failure(work)
    click.echo(f"{done.ref}: follow-up resumed ({done.status.value})")


@click.command("withdraw")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
def withdraw_command(ref: str, yes: bool) -> None:
    """End patient REF's follow-up: no more check-ins, the link stops working, the patient
    is told in their language. The record is kept (see `patient erase`). Audited."""
    emergency = emergency_number()
    if not yes:
        click.confirm(f"End the follow-up of {ref}? It cannot be resumed", abort=True)
    now = SystemClock().now()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Withdrawn:
        async with sessions.begin() as session:
            return await withdraw(
                session, ref=ref, now=now, actor=admin_ref(), emergency_number=emergency
            )

    done = refused_as_failure(work)
    told = "the patient is told" if done.told else "not linked: nobody to tell"
    click.echo(f"{done.ref}: follow-up ended; {done.cancelled} check-ins cancelled ({told})")
