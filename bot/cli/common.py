"""What every subcommand shares: settings, JSON output, and turning failures into exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from bot.settings import EXIT_CONFIG, ConfigError, Settings, load_settings


class CommandFailed(click.ClickException):
    """The command could not do what was asked (exit 1, message on stderr)."""

    exit_code = 1


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
