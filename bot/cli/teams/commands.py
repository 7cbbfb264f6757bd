"""``eras team``: care teams, each with its Telegram group."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.chains import ChainRefused, replace_chain, reset_chain
from bot.cli.common import CommandFailed, admin_ref, echo_json, valid_timezone, with_database
from bot.cli.teams.chains import chain
from bot.clock import SystemClock
from db.audit import append
from db.models import Team
from flows import Tier
from flows.escalation import DEFAULT_CHAINS, Step, parse_duration


@click.group()
def team() -> None:
    """Care teams, their Telegram group chats and escalation chains."""


team.add_command(chain)


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


class TeamsFile(BaseModel):
    """``teams.yaml``: the care teams and their escalation chains, kept in version control."""

    model_config = ConfigDict(extra="forbid")

    class Entry(BaseModel):
        model_config = ConfigDict(extra="forbid")

        class Link(BaseModel):
            model_config = ConfigDict(extra="forbid")
            after: str = "0s"
            notify: Literal["team_chat", "on_call", "surgeon"]
            repeat_every: str | None = None
            daytime: bool = False

            def step(self) -> Step:
                repeat = parse_duration(self.repeat_every) if self.repeat_every else None
                return Step(parse_duration(self.after), self.notify, repeat, self.daytime)

        name: str
        chat_id: int | None = None
        tz: str = "UTC"
        escalation: dict[Literal["amber", "red_urgent", "red_emergency"], list[Link]] = {}

        def chains(self) -> dict[Tier, list[Step]]:
            return {
                Tier(tier): [link.step() for link in links]
                for tier, links in self.escalation.items()
            }

    teams: list[Entry]


@team.command("apply")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def apply(path: Path) -> None:
    """Create or update the teams of PATH (YAML) and replace their escalation chains.

    A tier the file gives no chain for runs the default one. Alerts already open keep the
    chain they opened with.
    """
    try:
        wanted = TeamsFile.model_validate(yaml.safe_load(path.read_text()) or {})
        chains = {}
        for entry in wanted.teams:
            valid_timezone(entry.tz)
            if entry.chat_id is not None and entry.chat_id >= 0:
                raise ValueError(f"team {entry.name!r}: a team chat id is negative")
            chains[entry.name] = entry.chains()
    except (ValidationError, ValueError, click.BadParameter, yaml.YAMLError) as error:
        raise CommandFailed(f"{path}: {error}") from None

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
        now = SystemClock().now()
        done = []
        async with sessions.begin() as session:
            for entry in wanted.teams:
                row = await session.scalar(select(Team).where(Team.name == entry.name))
                if row is None:
                    row = Team(name=entry.name, created_at=now, timezone=entry.tz)
                    session.add(row)
                row.chat_id, row.timezone = entry.chat_id, entry.tz
                await session.flush()
                for tier in DEFAULT_CHAINS:
                    await reset_chain(session, row.id, tier)
                for tier, chain in chains[entry.name].items():
                    try:
                        await replace_chain(session, row.id, tier, chain)
                    except ChainRefused as error:
                        raise CommandFailed(f"{path}: team {entry.name!r}, {error}") from None
                done.append(entry.name)
            await append(
                session,
                at=now,
                actor_kind="cli",
                actor_ref=admin_ref(),
                action="team.apply",
                origin="cli",
                detail={"teams": done, "file": path.name},
            )
        return done

    try:
        applied = with_database(work)
    except IntegrityError:
        raise CommandFailed(f"{path}: two teams share a chat id") from None
    click.echo(f"applied {len(applied)} team(s): {', '.join(applied)}")
