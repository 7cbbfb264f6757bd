"""``eras run``: start the bot."""

from __future__ import annotations

import logging

import click

from bot.cli.common import settings


@click.command()
def run() -> None:
    """Run the bot (long polling) with the settings from the environment."""
    from bot.app import build_application

    config = settings()
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and the URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    application = build_application(config)
    application.run_polling()
