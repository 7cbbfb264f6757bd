"""Fixtures that put the real python-telegram-bot client in front of the sandbox.

``sandbox``     a fresh sandbox per test, on 127.0.0.1 and a free port.
``bot``         a plain ``telegram.Bot`` on the sandbox, without the application's rate
                limiter: for tests of what the sandbox itself answers.
``application`` the real bot (``bot.app.build_application``) polling the sandbox.
"""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.ext import Application

from bot.app import build_application
from bot.sandbox import Sandbox
from bot.settings import Settings

# Long polls end as soon as an update arrives, and stopping the application cancels them,
# so a realistic timeout costs tests nothing.
POLL_TIMEOUT = dtm.timedelta(seconds=10)


def sandbox_settings(sandbox: Sandbox) -> Settings:
    return Settings(telegram_token=sandbox.token, telegram_api_url=sandbox.url)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        yield sb


def plain_bot(sandbox: Sandbox) -> Bot:
    """A ``telegram.Bot`` on the sandbox (use ``async with``); each has its own connections."""
    settings = sandbox_settings(sandbox)
    return Bot(
        settings.require_token(),
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_file_base_url,
    )


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    async with plain_bot(sandbox) as running:
        yield running


async def start_application(sandbox: Sandbox, **options: int) -> Application:  # type: ignore[type-arg]
    application = build_application(sandbox_settings(sandbox), **options)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=POLL_TIMEOUT)
    return application


async def stop_application(application: Application) -> None:  # type: ignore[type-arg]
    assert application.updater is not None
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


@pytest.fixture
async def application(sandbox: Sandbox) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    running = await start_application(sandbox)
    try:
        yield running
    finally:
        await stop_application(running)
