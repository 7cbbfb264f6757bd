"""``eras sandbox``: run the fake Telegram Bot API server on its own."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
def sandbox(host: str, port: int) -> None:
    """Run the local Telegram sandbox (a fake Bot API server) until interrupted."""
    raise click.ClickException("the sandbox server is not built yet")
