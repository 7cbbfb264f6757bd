"""``eras demo``: a patient's first days, played against the local Telegram sandbox; with
``--console``, then the ward on the care-team console."""

from __future__ import annotations

import asyncio
import contextlib

import click


@click.command()
@click.option(
    "--console",
    "with_console",
    is_flag=True,
    help="Then serve the care-team console on the demo's ward and print a sign-in link.",
)
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    show_default=True,
    help="Where the console listens (HOST:PORT; port 0: any free one).",
)
def demo(with_console: bool, listen: str) -> None:
    """Play a scripted patient and care team against the sandbox and print both chats."""
    if not with_console:
        from bot.app.demo import run_demo

        asyncio.run(run_demo(click.echo))
        return
    from bot.app.demo_console import run_console_demo

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_console_demo(click.echo, listen))
    except OSError as error:
        raise click.ClickException(f"the console cannot listen on {listen}: {error}") from None
