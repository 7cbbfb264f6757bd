"""``eras run``: start the bot."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import NoReturn

import click

from bot.cli.common import settings
from bot.settings import EXIT_CONFIG


@click.command()
@click.option(
    "--webhook",
    is_flag=True,
    help="Receive updates on ERAS_HTTP_LISTEN (Telegram posts to ERAS_PUBLIC_URL"
    "/telegram/updates with ERAS_WEBHOOK_SECRET); several processes may share one "
    "PostgreSQL database",
)
def run(webhook: bool) -> None:
    """Run the bot with the settings from the environment, until Ctrl-C: long polling, or
    a webhook with --webhook. Either way it serves the care-team console and GET /health
    on ERAS_HTTP_LISTEN.

    It refuses to start while a setting it needs is missing or any protocol file is invalid.
    """
    from bot.app.runtime import BotRuntime
    from bot.inbox.updates import PollingStopped
    from bot.logs import configure_logging
    from bot.protocols.sources import load_protocols
    from flows import ProtocolInvalid

    config = settings()
    for line in config.deprecated:
        click.echo(f"eras: {line}", err=True)
    token = config.require_token()
    config.require_emergency_number()
    if webhook:
        config.require_webhook()
    try:
        load_protocols(config.protocols_dir)
    except ProtocolInvalid as invalid:
        for issue in invalid.issues:
            click.echo(str(issue), err=True)
        click.echo("eras: not starting: fix the protocol files above", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    audit_key = config.require_audit_key()
    _require_upgraded(config.database_url)
    _instance = hold_the_database(config.database_url)  # held until the process ends
    configure_logging(config.log_level, secrets=[token, audit_key.decode()])

    async def serve() -> None:
        _stop_on_signals()
        runtime = BotRuntime(config)
        try:
            await runtime.start()
            await runtime.run(webhook=webhook)
        except asyncio.CancelledError:
            pass  # asked to stop
        finally:
            await runtime.stop()

    try:
        asyncio.run(serve())
        click.echo("stopped")
    except PollingStopped as stopped:
        raise click.ClickException(str(stopped)) from None
    except Exception:
        # Printed as Python prints it, a crash's message may quote the failing statement's
        # parameters (patient data): it goes through the safe log instead.
        logging.getLogger(__name__).critical("the bot stopped", exc_info=True)
        raise SystemExit(1) from None


def _require_upgraded(url: str) -> None:
    """A database behind (or ahead of) the program would fail at every tick: say so once."""
    from bot.reports.doctor.schema import upgrade_needed

    if (reason := upgrade_needed(url)) is not None:
        _not_starting(reason)


def hold_the_database(url: str) -> object:
    """One ``eras run`` a SQLite file: a second would fight the first over Telegram's
    updates (409) and the file's lock. PostgreSQL deployments coordinate through the
    database itself. Returns what must stay referenced for the hold to last."""
    import fcntl

    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if make_url(url).get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    lock = open(f"{path}.run-lock", "a")  # noqa: SIM115 - open for the process's lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        _not_starting(f"another `eras run` is using {path}; stop it first")
    return lock


def _not_starting(reason: str) -> NoReturn:
    click.echo(f"eras: not starting: {reason}", err=True)
    raise SystemExit(EXIT_CONFIG)


def _stop_on_signals() -> None:
    """SIGTERM (a service manager, ``docker stop``) and SIGINT (Ctrl-C) both stop the bot
    cleanly: sends in flight finish or are recorded, the polling lock is let go. SIGINT is
    taken even when the process was started with it ignored (a background job)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, task.cancel)
