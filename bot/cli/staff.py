"""``eras staff``: nurses, surgeons and admins of the care teams."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, settings, with_database
from bot.clock import SystemClock
from bot.services.staff import StaffRefused, add_staff
from db.models import Staff, StaffRole, Team, TeamMember


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
    from bot.cli.patient import bot_username

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
            rows = (
                await session.execute(
                    select(Staff, Team.name, TeamMember.on_call)
                    .join(TeamMember, TeamMember.staff_id == Staff.id)
                    .join(Team, Team.id == TeamMember.team_id)
                    .order_by(Team.name, Staff.name)
                )
            ).all()
        return [
            {
                "id": s.id,
                "name": s.name,
                "role": s.role.value,
                "team": team,
                "on_call": on_call,
                "linked": s.telegram_user_id is not None,
                "active": s.active,
            }
            for s, team, on_call in rows
        ]

    rows = with_database(work)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no staff yet: add them with `eras staff add`")
    for r in rows:
        flags = ", ".join(
            f for f, on in (("on call", r["on_call"]), ("not linked", not r["linked"])) if on
        )
        click.echo(f"{r['team']:<16} {r['name']:<24} {r['role']:<8} {flags}")
