"""Webhook mode: Telegram posts each update; it is stored before Telegram hears 200.

A request without Telegram's secret-token header, or with a wrong one, is refused with 403
and stores nothing: the URL alone is not a credential. A stored update is processed by the
inbox as in polling mode, so a crash after the 200 loses nothing, and Telegram's retry of
an update it is unsure about is stored once and has one effect.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.inbox.updates import store_updates, update_id_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # Telegram's updates are far smaller; anything bigger is not one


def webhook_path(public_url: str) -> str:
    """The path Telegram posts to, from the public URL (a proxy may add a host and port)."""
    return urlsplit(public_url).path or "/"


class WebhookReceiver:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        secret: str,
        stored: Callable[[], None],
        health: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._secret = secret.encode()
        self._stored = stored
        self._health = health

    def app(self, path: str) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(path, self.receive)
        app.router.add_get("/health", self.health)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook: refused a request without the right secret token")
            return web.Response(status=403)
        try:
            update = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict) or update_id_of(update) is None:
            return web.Response(status=400, text="not a Telegram update")
        await store_updates(self._sessions, [update], self._clock)
        self._stored()
        return web.Response(status=200)

    async def health(self, _request: web.Request) -> web.Response:
        report = await self._health()
        return web.json_response(report, status=200 if report.get("ok") else 503)


async def serve(app: web.Application, listen: str) -> web.AppRunner:
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(app, access_log=None)  # access lines carry nothing useful
    await runner.setup()
    await web.TCPSite(runner, host, int(port)).start()
    return runner
