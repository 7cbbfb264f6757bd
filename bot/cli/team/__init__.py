"""``eras team``: care teams, each with its Telegram group."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import click
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, valid_timezone, with_database
from bot.cli.team.chain import chain
from bot.clock import SystemClock
from bot.plain_errors import dotted, sentences
from bot.staff.teams import TeamRefused, TeamSetup, add_team, apply_teams, set_contact
from bot.staff.teams import teams as listed
from flows import Tier
from flows.escalation import ChainStep, parse_duration


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
@click.option(
    "--emergency-number",
    help="The number the team's patients call in an emergency (default: ERAS_EMERGENCY_NUMBER)",
)
@click.option("--phone", help="The ward's own phone, printed on the enrolment sheet")
@click.option("--json", "as_json", is_flag=True, help="Print the new team as JSON")
def add(
    name: str,
    chat_id: int | None,
    timezone: str,
    emergency_number: str | None,
    phone: str | None,
    as_json: bool,
) -> None:
    """Add a care team NAME."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with sessions.begin() as session:
            return await add_team(
                session,
                name=name,
                chat_id=chat_id,
                timezone=timezone,
                now=SystemClock().now(),
                actor=admin_ref(),
                emergency_number=emergency_number,
                phone=phone,
            )

    try:
        team_id = with_database(work)
    except TeamRefused as error:
        raise CommandFailed(str(error)) from None
    created = {
        "id": team_id,
        "name": name,
        "chat_id": chat_id,
        "timezone": timezone,
        "emergency_number": emergency_number,
        "phone": phone,
    }
    if as_json:
        echo_json(created)
    else:
        click.echo(f"team {name!r} added (id {created['id']})")


@team.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_teams(as_json: bool) -> None:
    """List the care teams."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions() as session:
            return await listed(session)

    teams = with_database(work)
    if as_json:
        echo_json(teams)
        return
    if not teams:
        click.echo("no teams yet: add one with `eras team add NAME --chat-id ID`")
    for t in teams:
        chat = t["chat_id"] if t["chat_id"] is not None else "no chat yet"
        number = t["emergency_number"] or "the default"
        phone = f", phone {t['phone']}" if t["phone"] else ""
        click.echo(f"{t['name']}  (chat {chat}, {t['timezone']}, emergency {number}{phone})")


@team.command("set-contact")
@click.argument("name")
@click.option(
    "--emergency-number",
    help="What the team's patients are told to call in an emergency; 'default' for "
    "ERAS_EMERGENCY_NUMBER",
)
@click.option("--phone", help="The ward's own phone for the enrolment sheet; 'none' to clear")
@click.option("--json", "as_json", is_flag=True)
def contact(name: str, emergency_number: str | None, phone: str | None, as_json: bool) -> None:
    """Set team NAME's emergency number and phone; patients of the team are told them from
    the next message on."""
    if emergency_number is None and phone is None:
        raise click.UsageError("give --emergency-number, --phone or both")
    keep = frozenset(
        field
        for field, value in (("emergency_number", emergency_number), ("phone", phone))
        if value is None
    )
    number = None if (emergency_number or "").lower() == "default" else emergency_number
    own_phone = None if (phone or "").lower() == "none" else phone

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        async with sessions.begin() as session:
            row = await set_contact(
                session,
                name,
                emergency_number=number,
                phone=own_phone,
                now=SystemClock().now(),
                actor=admin_ref(),
                keep=keep,
            )
            return {"name": row.name, "emergency_number": row.emergency_number, "phone": row.phone}

    try:
        done = with_database(work)
    except TeamRefused as error:
        raise CommandFailed(str(error)) from None
    if as_json:
        echo_json(done)
        return
    said = done["emergency_number"] or "the default (ERAS_EMERGENCY_NUMBER)"
    click.echo(f"{done['name']}: emergency number {said}, phone {done['phone'] or 'none'}")


class TeamsFile(BaseModel):
    """``teams.yaml``: the care teams and their escalation chains, kept in version control."""

    model_config = ConfigDict(extra="forbid")

    class Entry(BaseModel):
        # A number written without quotes (emergency_number: 112) is still a number to dial.
        model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

        class Link(BaseModel):
            model_config = ConfigDict(extra="forbid")
            after: str = "0s"
            notify: Literal["team_chat", "on_call", "surgeon"]
            repeat_every: str | None = None
            daytime: bool = False

            def step(self) -> ChainStep:
                repeat = parse_duration(self.repeat_every) if self.repeat_every else None
                return ChainStep(parse_duration(self.after), self.notify, repeat, self.daytime)

        name: str
        chat_id: int | None = None
        tz: str = "UTC"
        emergency_number: str | None = None  # None: ERAS_EMERGENCY_NUMBER
        phone: str | None = None
        escalation: dict[Literal["amber", "red_urgent", "red_emergency"], list[Link]] = {}

        def chains(self) -> dict[Tier, list[ChainStep]]:
            return {
                Tier(tier): [link.step() for link in links]
                for tier, links in self.escalation.items()
            }

    teams: list[Entry]


def _field_namer(raw: Any) -> Callable[[tuple[int | str, ...]], str]:
    """A field of the file, its team named when the file names it: ``team 'Spine':
    escalation.amber[1].notify``."""

    def name(loc: tuple[int | str, ...]) -> str:
        if len(loc) >= 2 and loc[0] == "teams" and isinstance(loc[1], int):
            try:
                team = raw["teams"][loc[1]]["name"]
            except (KeyError, IndexError, TypeError):
                team = None
            which = f"team {team!r}" if isinstance(team, str) else f"team {loc[1] + 1}"
            return f"{which}: {dotted(loc[2:])}" if loc[2:] else which
        return dotted(loc)

    return name


@team.command("apply")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def apply(path: Path) -> None:
    """Create or update the teams of PATH (YAML) and replace their escalation chains.

    A tier the file gives no chain for runs the default one. Alerts already open keep the
    chain they opened with.
    """
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        wanted = TeamsFile.model_validate(raw)
        setups = []
        for entry in wanted.teams:
            valid_timezone(entry.tz)
            if entry.chat_id is not None and entry.chat_id >= 0:
                raise ValueError(f"team {entry.name!r}: a team chat id is negative")
            setups.append(
                TeamSetup(
                    entry.name,
                    entry.chat_id,
                    entry.tz,
                    entry.chains(),
                    entry.emergency_number,
                    entry.phone,
                )
            )
    except ValidationError as error:
        raise CommandFailed(
            "\n".join(f"{path}: {line}" for line in sentences(error, _field_namer(raw)))
        ) from None
    except (ValueError, click.BadParameter, yaml.YAMLError) as error:
        raise CommandFailed(f"{path}: {error}") from None

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
        async with sessions.begin() as session:
            return await apply_teams(
                session, setups, source=path.name, now=SystemClock().now(), actor=admin_ref()
            )

    try:
        applied = with_database(work)
    except TeamRefused as error:
        raise CommandFailed(f"{path}: {error}") from None
    click.echo(f"applied {len(applied)} team(s): {', '.join(applied)}")
