"""``eras team``: care teams, each with its Telegram group."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, valid_timezone, with_database
from bot.clock import SystemClock
from db.audit import append
from db.models import Team


@click.group()
def team() -> None:
    """Care teams and their Telegram group chats."""


def _group_chat_id(_ctx: click.Context, _param: click.Parameter, value: int | None) -> int | None:
    if value is not None and value >= 0:
        raise click.BadParameter(
            "a team chat is a Telegram group, whose id is negative (e.g. -1001234567890)"
        )
    return value


@team.command("add")
@click.argument("name")
@click.option("--chat-id", type=int, callback=_group_chat_id, help="The team's Telegram group id")
@click.option(
    "--tz", "timezone", default="UTC", show_default=True, callback=lambda c, p, v: valid_timezone(v)
)
@click.option("--json", "as_json", is_flag=True, help="Print the new team as JSON")
def add(name: str, chat_id: int | None, timezone: str, as_json: bool) -> None:
    """Add a care team NAME."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, object]:
        now = SystemClock().now()
        try:
            async with sessions.begin() as session:
                row = Team(name=name, chat_id=chat_id, timezone=timezone, created_at=now)
                session.add(row)
                await session.flush()
                await append(
                    session,
                    at=now,
                    actor_kind="cli",
                    actor_ref=admin_ref(),
                    action="team.add",
                    origin="cli",
                    detail={"team": name},
                )
        except IntegrityError:
            raise CommandFailed(f"a team named {name!r} or with that chat id exists") from None
        return {"id": row.id, "name": name, "chat_id": chat_id, "timezone": timezone}

    created = with_database(work)
    if as_json:
        echo_json(created)
    else:
        click.echo(f"team {name!r} added (id {created['id']})")


@team.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_teams(as_json: bool) -> None:
    """List the care teams."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, object]]:
        async with sessions() as session:
            teams = await session.scalars(select(Team).order_by(Team.name))
            return [
                {"id": t.id, "name": t.name, "chat_id": t.chat_id, "timezone": t.timezone}
                for t in teams
            ]

    teams = with_database(work)
    if as_json:
        echo_json(teams)
        return
    if not teams:
        click.echo("no teams yet: add one with `eras team add NAME --chat-id ID`")
    for t in teams:
        chat = t["chat_id"] if t["chat_id"] is not None else "no chat yet"
        click.echo(f"{t['name']}  (chat {chat}, {t['timezone']})")
