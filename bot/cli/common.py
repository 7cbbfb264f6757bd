"""What every subcommand shares: settings, JSON output, and turning failures into exit codes."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import EXIT_CONFIG, ConfigError, Settings, load_settings
from bot.time_zones import is_time_zone, suggest_time_zone
from db.engine import create_engine, session_factory


class CommandFailed(click.ClickException):
    """The command could not do what was asked (exit 1, message on stderr)."""

    exit_code = 1


class BadInput(CommandFailed):
    """What was typed cannot be taken (an unknown reference, a date that is no date, one out
    of range): one line on stderr and exit 2, as for a wrong option."""

    exit_code = 2


def settings() -> Settings:
    """The validated settings; a bad environment ends the program with one clear line."""
    try:
        return load_settings()
    except ConfigError as exc:
        config_error(str(exc))


def config_error(message: str) -> NoReturn:
    click.echo(f"eras: configuration error: {message}", err=True)
    sys.exit(EXIT_CONFIG)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def run_cli(group: click.Group) -> None:
    try:
        group.main(prog_name="eras", standalone_mode=True)
    except ConfigError as exc:  # raised deep inside a command, e.g. a missing token
        config_error(str(exc))


T = TypeVar("T")


def with_database(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """Run ``work`` with sessions on the configured database, turning its failures into
    messages an admin can act on."""
    config = settings()

    async def main() -> T:
        engine = create_engine(config.database_url)
        try:
            return await work(session_factory(engine, config.session_info()))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except (OperationalError, ProgrammingError) as error:
        text = str(error.orig).lower()
        if "no such table" in text or ("does not exist" in text and "relation" in text):
            raise CommandFailed("the database is not set up yet: run `eras db upgrade`") from None
        raise CommandFailed(f"database error: {type(error.orig).__name__}") from None
    except (OSError, InterfaceError) as error:
        raise CommandFailed(f"cannot reach the database: {type(error).__name__}") from None


def admin_ref() -> str:
    """Who is at the keyboard, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def iso_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """An option's YYYY-MM-DD date, refused in one line naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{param.opts[0]}: {value!r} is not a date (YYYY-MM-DD)") from None


def valid_timezone(value: str) -> str:
    if not is_time_zone(value):
        meant = suggest_time_zone(value)
        hint = f"did you mean {meant}?" if meant else "use an IANA name such as Europe/Madrid"
        raise click.BadParameter(f"unknown time zone {value!r}: {hint}")
    return value
