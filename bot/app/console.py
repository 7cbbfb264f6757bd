"""The console alone (``eras web``): the same application as in ``eras run``, without the
bot. Its messages (a card redrawn after an acknowledgement) wait in the outbox for the
bot's sender."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket

from telegram import Bot

from bot.clock import SystemClock
from bot.context import Services, Site
from bot.delivery.files import TelegramFiles
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.reports.health import health_report
from bot.settings import Settings
from bot.web.app import console_app
from bot.web.console import Console
from bot.web.http.server import ConsoleServer
from db.engine import create_engine, session_factory

log = logging.getLogger(__name__)


async def serve_console(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine, settings.session_info())
    clock = SystemClock()
    site = Site(
        settings.require_emergency_number(),
        console_url=settings.console_url,
        bot_username=settings.bot_username,
    )
    services = Services(
        sessions, ProtocolCatalogue(load_protocols(settings.protocols_dir)), site, clock, _no_sender
    )

    async def health() -> dict[str, object]:
        return await health_report(
            sessions, clock.now(), emergency_number=settings.emergency_number
        )

    # The patients' photos and voice messages are Telegram's to give: without the bot's
    # token the console lists them without showing them.
    bot = None
    if settings.telegram_token is not None:
        bot = Bot(
            settings.telegram_token.get_secret_value(),
            base_url=settings.bot_api_base_url,
            base_file_url=settings.bot_file_base_url,
        )
    console = Console(
        services,
        settings.console_url,
        health,
        health_token=settings.health_secret,
        audit_key=settings.audit_key_bytes(),
        telegram_login_token=settings.telegram_login_token(),
        files=TelegramFiles(bot) if bot is not None else None,
    )
    server = ConsoleServer(console_app(console), settings.listen)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    try:
        await server.start()
        log.info(
            "console listening on %s (%s:%s)", settings.listen, socket.gethostname(), os.getpid()
        )
        await stop.wait()
    finally:
        await server.stop()
        if bot is not None:
            await bot.shutdown()
        await engine.dispose()


def _no_sender() -> None:
    """The bot's sender, in its own process, finds new messages on its next round."""
