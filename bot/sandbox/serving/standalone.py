"""Run the sandbox on its own until interrupted (``eras sandbox``, ``python -m bot.sandbox``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Callable

import click

from bot.sandbox.serving.server import SandboxServer
from bot.sandbox.world.state import DEFAULT_BOT_USERNAME, DEFAULT_TOKEN, TOKEN


async def serve(sandbox: SandboxServer, on_ready: Callable[[SandboxServer], None]) -> None:
    """Start ``sandbox``, tell ``on_ready``, and stop on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not available on every platform; Ctrl+C still ends asyncio.run there.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with sandbox:
        on_ready(sandbox)
        await stop.wait()


def _token(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not TOKEN.match(value):
        raise click.BadParameter("a bot token is digits, a colon, then letters, digits, _ or -")
    return value


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int, help="0 picks a free port")
@click.option(
    "--token",
    default=DEFAULT_TOKEN,
    show_default=True,
    callback=_token,
    help="Token of the sandbox's own bot (people talk to it unless told otherwise)",
)
@click.option("--bot-username", default=DEFAULT_BOT_USERNAME, show_default=True)
@click.option("--enforce-limits", is_flag=True, help="Answer 429 like Telegram's flood limits")
@click.option("--json", "as_json", is_flag=True, help="Print where it listens as one JSON line")
def sandbox(
    host: str, port: int, token: str, bot_username: str, enforce_limits: bool, as_json: bool
) -> None:
    """Run the local Telegram sandbox (a fake Bot API server) until interrupted."""

    def ready(sb: SandboxServer) -> None:
        sb.enforce_limits(enforce_limits)
        if as_json:
            # One line, so a parent process can read it as soon as the server is up.
            click.echo(json.dumps({"url": sb.url, "token": sb.token}))
            return
        click.echo(f"Telegram sandbox listening on {sb.url}")
        click.echo("Point the bot at it:")
        click.echo(f"  export ERAS_TELEGRAM_API_URL={sb.url}")
        click.echo(f"  export ERAS_TELEGRAM_TOKEN={sb.token}  # any token of this shape works")
        click.echo(f"Control API (play users, inject faults, read calls): {sb.url}/sandbox")
        click.echo("Press Ctrl+C to stop.")

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("warning: the control API has no authentication; keep it off networks", err=True)
    sb = SandboxServer(host=host, port=port, token=token, bot_username=bot_username)
    try:
        asyncio.run(serve(sb, ready))
    except OSError as exc:  # e.g. the port is taken
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
