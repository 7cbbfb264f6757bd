"""The sandbox served over HTTP: the Bot API at ``/bot{token}/{method}`` and
``/file/bot{token}/{path}``, the control API under ``/sandbox``.

For what must cross a process boundary: ``eras demo``, ``eras sandbox``, the bot run as a
process of its own, webhooks. Tests in one process use ``Sandbox.transport()`` instead.
"""

from __future__ import annotations

from typing import Any, Self

from aiohttp import web

from bot.sandbox.api import ledger
from bot.sandbox.api.calls import MALFORMED_BODY, BotApi
from bot.sandbox.api.params import read_params
from bot.sandbox.errors import ApiError
from bot.sandbox.service import Sandbox
from bot.sandbox.serving.control import ControlApi

MAX_UPLOAD = 50 * 1024 * 1024  # Telegram's limit for files a bot sends


class HttpBotApi:
    """The Bot API's HTTP routes, each a request handed to ``BotApi``."""

    def __init__(self, api: BotApi) -> None:
        self.api = api

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self.handle),
            web.get("/file/bot{token}/{path:.+}", self.download),
        ]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        answer = await self.api.call(token, method, lambda: read_params(request))
        if answer.outcome == ledger.DROPPED:
            assert request.transport is not None
            request.transport.close()
            return web.Response()  # never reaches the client
        if answer.outcome == ledger.MALFORMED:
            return web.Response(body=MALFORMED_BODY, status=200)
        return web.json_response(answer.body, status=answer.status or 200)

    async def download(self, request: web.Request) -> web.StreamResponse:
        try:
            stored = self.api.file(request.match_info["token"], request.match_info["path"])
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.status)
        return web.Response(body=stored.data, content_type=stored.mime_type)


class SandboxServer(Sandbox):
    """A sandbox listening on ``host:port`` (0: a free port); ``url`` says where."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        super().__init__(**options)
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> Self:
        await super().start()
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.add_routes(HttpBotApi(self.api).routes() + ControlApi(self).routes())
        # handler_cancellation: a client that gives up (read timeout) cancels its request,
        # as it would at Telegram, and a long poll does not outlive its poller.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        await super().stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
