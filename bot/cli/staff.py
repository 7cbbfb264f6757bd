"""``eras staff``: nurses, surgeons and admins of the care teams."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, settings, with_database
from bot.clock import SystemClock
from bot.staff.registry import (
    StaffRefused,
    StaffRole,
    add_staff,
    members,
    remove_staff,
    set_on_call,
)
from bot.staff.sign_in.links import LINK_LIFETIME, link_for


@click.group()
def staff() -> None:
    """Staff of the care teams, and their Telegram links."""


@staff.command("add")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in StaffRole]), required=True)
@click.option("--team", "team_name", required=True)
@click.option("--on-call", is_flag=True, help="On call for this team (escalations name them)")
@click.option("--telegram-id", type=int, help="Link this Telegram account now, without a link")
@click.option("--json", "as_json", is_flag=True)
def add(
    name: str, role: str, team_name: str, on_call: bool, telegram_id: int | None, as_json: bool
) -> None:
    """Add a staff member; prints their one-time link unless --telegram-id is given."""
    from bot.cli.patient.links import bot_username

    username = bot_username(settings()) if telegram_id is None else None

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as session:
            return await add_staff(
                session,
                name=name,
                role=StaffRole(role),
                team_name=team_name,
                on_call=on_call,
                telegram_id=telegram_id,
                now=SystemClock().now(),
                actor=admin_ref(),
            )

    try:
        added = with_database(work)
    except StaffRefused as error:
        raise CommandFailed(str(error)) from None
    link = f"https://t.me/{username}?start={added.token}" if added.token else None
    if as_json:
        echo_json({"id": added.staff_id, "link": link, "token": added.token})
        return
    click.echo(f"{name} added as {role} of {team_name} (id {added.staff_id})")
    if link:
        click.echo(f"one-time link for their Telegram account (valid 14 days):\n  {link}")


@staff.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_staff(as_json: bool) -> None:
    """Staff with their teams."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions() as session:
            return await members(session)

    rows = with_database(work)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no staff yet: add them with `eras staff add`")
    for r in rows:
        flags = ", ".join(
            f
            for f, on in (
                ("on call", r["on_call"]),
                ("not linked", not r["linked"]),
                ("removed", not r["active"]),
            )
            if on
        )
        click.echo(f"{r['team']:<16} {r['id']:>5}  {r['name']:<24} {r['role']:<8} {flags}".rstrip())


@staff.command("remove")
@click.argument("who", metavar="NAME_OR_ID")
def remove(who: str) -> None:
    """Remove a staff member who left: they can no longer act on alerts or link an account.

    Their record stays, so the audit log and alert timelines still say who did what.
    """

    async def work(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, int, list[str]]:
        async with sessions.begin() as session:
            removed = await remove_staff(session, who, now=SystemClock().now(), actor=admin_ref())
            name = f"{removed.staff.name} (id {removed.staff.id})"
            return name, removed.links_revoked, removed.nobody_on_call

    try:
        name, revoked, uncovered = with_database(work)
    except StaffRefused as error:
        raise CommandFailed(str(error)) from None
    click.echo(f"{name} removed: they can no longer act on alerts or use the console")
    if revoked:
        click.echo("their unused Telegram link no longer works")
    for team in uncovered:
        click.echo(f"nobody is on call for {team} now (`eras staff on-call NAME --team {team!r}`)")


@staff.command("on-call")
@click.argument("who", metavar="NAME_OR_ID")
@click.option("--team", "team_name", required=True)
@click.option("--off", is_flag=True, help="Take them off call")
@click.option("--json", "as_json", is_flag=True, help="Print who is on call as JSON")
def on_call(who: str, team_name: str, off: bool, as_json: bool) -> None:
    """Put a staff member on call for a team (escalations tell them), or off with --off."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions.begin() as session:
            now_on_call = await set_on_call(
                session, who, team_name, not off, now=SystemClock().now(), actor=admin_ref()
            )
            return [
                {
                    "id": s.id,
                    "name": s.name,
                    "role": s.role.value,
                    "linked": s.telegram_user_id is not None,
                }
                for s in now_on_call
            ]

    try:
        rows = with_database(work)
    except StaffRefused as error:
        raise CommandFailed(str(error)) from None
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"nobody is on call for {team_name}: on-call escalation steps reach no one")
        return
    click.echo(f"on call for {team_name}:")
    for r in rows:
        unlinked = "  (not linked: escalations cannot reach them yet)" if not r["linked"] else ""
        click.echo(f"  {r['name']} (id {r['id']}, {r['role']}){unlinked}")


@staff.command("login-link")
@click.argument("who", metavar="NAME_OR_ID")
@click.option("--json", "as_json", is_flag=True)
def login_link(who: str, as_json: bool) -> None:
    """Print a one-time link that signs a staff member in to the console (valid 5 minutes).

    Hand it over in person: whoever opens it first is signed in as them.
    """
    console_url = settings().console_url

    async def work(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, str]:
        async with sessions.begin() as session:
            member, url = await link_for(
                session, who, console_url, SystemClock().now(), admin_ref()
            )
            return f"{member.name} (id {member.id})", url

    try:
        name, url = with_database(work)
    except StaffRefused as error:
        raise CommandFailed(str(error)) from None
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    if as_json:
        echo_json({"staff": name, "url": url, "valid_minutes": minutes})
        return
    click.echo(f"sign-in link for {name}, valid for {minutes} minutes and once:")
    click.echo(url)
