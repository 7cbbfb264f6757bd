"""Fetching a file a patient sent (a photo, a voice message) back from Telegram, which keeps
it: getFile through the bot, then the download, passed on in chunks as it arrives.

The download's address carries the bot's token: it is never logged, and never leaves the
server.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)
# Telegram lets a bot download files of up to 20 MB; a voice message or a photo is far less.
TIMEOUT = httpx.Timeout(10.0, read=30.0)


class FileUnavailable(Exception):
    """Telegram did not give the file (expired, unknown, or not reachable now)."""


class TelegramFiles:
    def __init__(self, bot: Bot, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """``transport``: how requests reach Telegram (a test's in-process sandbox)."""
        self.bot = bot
        self.transport = transport

    @asynccontextmanager
    async def download(self, file_id: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """The file's bytes, chunk by chunk; FileUnavailable before the first one if
        Telegram does not give it."""
        try:
            found = await self.bot.get_file(file_id)
        except TelegramError as error:
            log.warning("getFile refused a patient's file: %s", type(error).__name__)
            raise FileUnavailable from None
        if not found.file_path:
            raise FileUnavailable
        async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT) as client:
            try:
                async with client.stream("GET", found.file_path) as answer:
                    if answer.status_code != 200:
                        log.warning("Telegram answered %s to a download", answer.status_code)
                        raise FileUnavailable
                    yield answer.aiter_bytes()
            except httpx.HTTPError as error:
                log.warning("a patient's file could not be downloaded: %s", type(error).__name__)
                raise FileUnavailable from None
