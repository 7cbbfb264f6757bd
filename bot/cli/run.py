"""``eras run``: start the bot."""

from __future__ import annotations

import logging

import click

from bot.cli.common import settings
from bot.settings import EXIT_CONFIG


@click.command()
def run() -> None:
    """Run the bot (long polling) with the settings from the environment.

    It refuses to start while a setting it needs is missing or any protocol file is invalid.
    """
    from bot.app import build_application
    from bot.protocols import load_protocols
    from flows import ProtocolInvalid

    config = settings()
    config.require_token()
    config.require_emergency_number()
    try:
        load_protocols(config.protocols_dir)
    except ProtocolInvalid as invalid:
        for issue in invalid.issues:
            click.echo(str(issue), err=True)
        click.echo("eras: not starting: fix the protocol files above", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and the URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = build_application(config)
    application.run_polling()
