"""``eras web``: the console alone, in a process of its own beside the bot."""

from __future__ import annotations

import asyncio

import click

from bot.cli.common import settings


@click.command()
def web() -> None:
    """Serve the care-team console alone on ERAS_HTTP_LISTEN, until Ctrl-C.

    For a second process beside `eras run`, on the same PostgreSQL database: messages it
    causes (an acknowledged card, say) are sent by the bot's process.
    """
    from bot.app.console import serve_console
    from bot.logs import configure_logging

    config = settings()
    for line in config.deprecated:
        click.echo(f"eras: {line}", err=True)
    configure_logging(config.log_level, secrets=[])
    try:
        asyncio.run(serve_console(config))
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {config.listen}: {error.strerror or error}"
        ) from None
    click.echo("stopped")
