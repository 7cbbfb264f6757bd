"""``eras patient caregiver add|remove``: the team adds or removes a patient's caregiver."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import admin_ref, echo_json, settings
from bot.cli.patient import links
from bot.cli.patient.links import FORCE_OPTION, QR_OPTION, bot_username, deep_link, echo_link
from bot.cli.patient.shared import refused_as_failure
from bot.clock import SystemClock
from bot.patients.caregivers.circle import (
    Actor,
    Invitation,
    Removal,
    invite_by_ref,
    remove_by_ref,
)


def _actor() -> Actor:
    return Actor(kind="cli", ref=admin_ref(), origin="cli")


@click.group("caregiver")
def caregiver() -> None:
    """A patient's caregivers: a second Telegram account that answers check-ins for the
    patient and receives their emergency advice."""


@caregiver.command("add")
@click.argument("ref")
@QR_OPTION
@FORCE_OPTION
@click.option("--json", "as_json", is_flag=True)
def add_command(ref: str, qr_path: Path | None, force: bool, as_json: bool) -> None:
    """A one-time link for a caregiver of patient REF (at most two linked a patient); a
    caregiver link not yet opened stops working. Audited."""
    username = bot_username(settings())
    if qr_path is not None:
        links.check_qr_path(qr_path, force=force)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Invitation:
        async with sessions.begin() as session:
            return await invite_by_ref(session, ref, SystemClock().now(), _actor())

    done = refused_as_failure(work)
    link = deep_link(username, done.token)
    if as_json:
        echo_json(
            {
                "ref": done.ref,
                "caregiver": done.caregiver_id,
                "link": link,
                "token": done.token,
                "expires_at": done.expires_at.isoformat(),
                "revoked": done.revoked,
                "qr": str(qr_path) if qr_path else None,
            }
        )
    else:
        click.echo(f"caregiver #{done.caregiver_id} for {done.ref}: hand them this link")
        echo_link(link, done.expires_at)
    links.finish_qr(link, qr_path, force=force, quiet=as_json)


@caregiver.command("remove")
@click.argument("ref")
@click.option("--id", "caregiver_id", type=int, help="Only this caregiver (default: all)")
@click.option("--json", "as_json", is_flag=True)
def remove_command(ref: str, caregiver_id: int | None, as_json: bool) -> None:
    """Remove patient REF's caregivers (or one, with --id): at once, their buttons change
    nothing and their links stop working; each is told. Audited."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Removal:
        async with sessions.begin() as session:
            return await remove_by_ref(
                session, ref, SystemClock().now(), _actor(), caregiver_id=caregiver_id
            )

    done = refused_as_failure(work)
    if as_json:
        echo_json({"ref": done.ref, "removed": list(done.removed)})
    elif done.removed:
        shown = ", ".join(f"#{i}" for i in done.removed)
        click.echo(f"{done.ref}: caregiver(s) {shown} removed")
    else:
        click.echo(f"{done.ref}: no caregiver to remove")
