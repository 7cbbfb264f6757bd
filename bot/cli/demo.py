"""``eras demo``: a patient's first days, played against the local Telegram sandbox."""

from __future__ import annotations

import asyncio

import click


@click.command()
def demo() -> None:
    """Play a scripted patient and care team against the sandbox and print both chats."""
    from bot.app.demo import run_demo

    asyncio.run(run_demo(click.echo))
