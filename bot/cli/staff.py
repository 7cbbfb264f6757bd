"""``eras staff``: nurses, surgeons and admins of the care teams."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, settings, with_database
from bot.clock import SystemClock
from bot.staff.memberships import Membership, join_team, leave_team, relink_staff, set_role
from bot.staff.registry import (
    StaffRefused,
    StaffRole,
    add_staff,
    members,
    remove_staff,
    set_on_call,
)
from bot.staff.sign_in.links import LINK_LIFETIME, link_for

ROLES = click.Choice([r.value for r in StaffRole])


@click.group()
def staff() -> None:
    """Staff of the care teams, and their Telegram links."""


@staff.command("add")
@click.option("--name", required=True)
@click.option("--role", type=ROLES, required=True, help="Their role in this team")
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
                    "role": role.value,
                    "linked": s.telegram_user_id is not None,
                }
                for s, role in now_on_call
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


def _membership_json(done: Membership) -> dict[str, Any]:
    return {
        "id": done.staff.id,
        "name": done.staff.name,
        "team": done.team.name,
        "role": done.role.value,
        "on_call": done.on_call,
    }


def _change(change: Any, as_json: bool, said: str) -> None:
    """Run a membership change in one transaction; print what it did."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        async with sessions.begin() as session:
            return _membership_json(await change(session, SystemClock().now(), admin_ref()))

    try:
        done = with_database(work)
    except StaffRefused as error:
        raise CommandFailed(str(error)) from None
    if as_json:
        echo_json(done)
        return
    click.echo(said.format(**done))


@staff.command("join")
@click.argument("who", metavar="NAME_OR_ID")
@click.option("--team", "team_name", required=True, help="The other team")
@click.option("--role", type=ROLES, required=True, help="Their role in that team")
@click.option("--on-call", is_flag=True, help="On call for that team (escalations name them)")
@click.option("--json", "as_json", is_flag=True)
def join(who: str, team_name: str, role: str, on_call: bool, as_json: bool) -> None:
    """Add a staff member to another team, with their role there (their other teams keep
    theirs)."""
    _change(
        lambda session, now, actor: join_team(
            session, who, team_name, StaffRole(role), on_call=on_call, now=now, actor=actor
        ),
        as_json,
        "{name} (id {id}) is now {role} of {team}",
    )


@staff.command("set-role")
@click.argument("who", metavar="NAME_OR_ID")
@click.option("--team", "team_name", required=True)
@click.option("--role", type=ROLES, required=True, help="Their new role in that team")
@click.option("--json", "as_json", is_flag=True)
def set_role_command(who: str, team_name: str, role: str, as_json: bool) -> None:
    """Change a staff member's role in one team; it applies to their next button press or
    console page."""
    _change(
        lambda session, now, actor: set_role(
            session, who, team_name, StaffRole(role), now=now, actor=actor
        ),
        as_json,
        "{name} (id {id}) is now {role} of {team}",
    )


@staff.command("leave")
@click.argument("who", metavar="NAME_OR_ID")
@click.option("--team", "team_name", required=True)
@click.option("--json", "as_json", is_flag=True)
def leave(who: str, team_name: str, as_json: bool) -> None:
    """Take a staff member out of one team: from now on they cannot act for it (their other
    teams are unchanged; `eras staff remove` is for someone who leaves altogether)."""
    _change(
        lambda session, now, actor: leave_team(session, who, team_name, now=now, actor=actor),
        as_json,
        "{name} (id {id}) is no longer in {team}",
    )


@staff.command("relink")
@click.argument("who", metavar="NAME_OR_ID")
@click.option("--telegram-id", type=int, help="Link this Telegram account now, without a link")
@click.option("--json", "as_json", is_flag=True)
def relink(who: str, telegram_id: int | None, as_json: bool) -> None:
    """Link a staff member's Telegram account again: someone removed who came back (with
    the teams and roles they had), or someone with a new phone. Their old account and any
    unused link stop working; prints a new one-time link unless --telegram-id is given."""
    from bot.cli.patient.links import bot_username

    username = bot_username(settings()) if telegram_id is None else None

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        async with sessions.begin() as session:
            done = await relink_staff(
                session, who, telegram_id=telegram_id, now=SystemClock().now(), actor=admin_ref()
            )
            return {
                "id": done.staff.id,
                "name": done.staff.name,
                "reinstated": done.reinstated,
                "token": done.token,
                "teams": [{"team": team, "role": role.value} for team, role in done.teams],
            }

    try:
        done = with_database(work)
    except StaffRefused as error:
        raise CommandFailed(str(error)) from None
    link = f"https://t.me/{username}?start={done['token']}" if done["token"] else None
    if as_json:
        echo_json({**done, "link": link})
        return
    teams = ", ".join(f"{t['role']} of {t['team']}" for t in done["teams"]) or "no team"
    back = " is back" if done["reinstated"] else ""
    click.echo(f"{done['name']} (id {done['id']}){back}: {teams}")
    if link:
        click.echo(f"one-time link for their Telegram account (valid 14 days):\n  {link}")
    else:
        click.echo("their Telegram account is linked")
