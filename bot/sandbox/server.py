"""The Bot API over HTTP: ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``.

Every call goes the same way: read the parameters, apply an injected fault if one matches,
apply Telegram's flood limits if they are on, do the method, record the call in the ledger.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from bot.sandbox import errors, faults, ledger
from bot.sandbox.errors import ApiError
from bot.sandbox.faults import DropConnection, Fault, FaultPlan, MalformedBody, Slow
from bot.sandbox.ledger import Ledger
from bot.sandbox.limits import FloodControl
from bot.sandbox.methods import Context, find
from bot.sandbox.params import chat_id_of, read_params
from bot.sandbox.state import World
from bot.sandbox.webhook import WebhookCourier


@dataclass
class _Answer:
    """What the sandbox decided to answer, before it is written to the ledger."""

    outcome: str
    status: int | None
    body: dict[str, Any] | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    result: Any = None


def _failure(exc: ApiError) -> _Answer:
    return _Answer(ledger.ERROR, exc.status, exc.body(), exc.description, exc.parameters)


class BotApi:
    def __init__(
        self,
        world: World,
        ledger: Ledger,
        faults: FaultPlan,
        flood: FloodControl,
        webhooks: WebhookCourier,
    ) -> None:
        self.world = world
        self.ledger = ledger
        self.faults = faults
        self.flood = flood
        self.webhooks = webhooks

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self.handle),
            web.get("/file/bot{token}/{path:.+}", self.download),
        ]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        arrived, wall = time.monotonic(), time.time()
        params: dict[str, Any] = {}
        fault: Fault | None = None

        def record(answer: _Answer) -> None:
            self.ledger.record(
                token=token,
                method=method,
                params=params,
                chat_id=chat_id_of(params),
                at=arrived,
                wall=wall,
                done_at=time.monotonic(),
                outcome=answer.outcome,
                status=answer.status,
                description=answer.description,
                result=answer.result,
                fault=fault.kind if fault else None,
                parameters=answer.parameters,
            )

        answer: _Answer | None = None
        try:
            try:
                params = await read_params(request)
            except ApiError as exc:
                answer = _failure(exc)
            else:
                fault = self.faults.take(token, method, chat_id_of(params))
                answer = await self._answer(token, method, params, fault)
                if isinstance(fault, Slow) and fault.delivered:
                    await asyncio.sleep(fault.seconds)  # done; only the answer is late
        except asyncio.CancelledError:
            # The client gave up; what was done (``result``) stays on record.
            answer = answer or _Answer(ledger.ABANDONED, None)
            record(replace(answer, outcome=ledger.ABANDONED, status=None))
            raise
        record(answer)
        if answer.outcome == ledger.DROPPED:
            assert request.transport is not None
            request.transport.close()
            return web.Response()  # never reaches the client
        if answer.outcome == ledger.MALFORMED:
            return web.Response(text='{"ok": true, "result": {"message_id', status=200)
        return web.json_response(answer.body, status=answer.status or 200)

    async def _answer(
        self, token: str, method: str, params: dict[str, Any], fault: Fault | None
    ) -> _Answer:
        try:
            if isinstance(fault, faults.ErrorFault):
                raise fault.error()
            skip_method = isinstance(fault, DropConnection | MalformedBody) and not fault.delivered
            if isinstance(fault, Slow) and not fault.delivered:
                await asyncio.sleep(fault.seconds)
            result = None if skip_method else await self._call(token, method, params)
        except ApiError as exc:
            return _failure(exc)
        if isinstance(fault, DropConnection):
            return _Answer(ledger.DROPPED, None, result=result)
        if isinstance(fault, MalformedBody):
            return _Answer(ledger.MALFORMED, 200, result=result)
        return _Answer(ledger.OK, 200, {"ok": True, "result": result}, result=result)

    async def _call(self, token: str, method: str, params: dict[str, Any]) -> Any:
        bot = self.world.bot_for_token(token)
        function = find(method)
        if function is None:
            raise errors.not_found()
        retry_after = self.flood.retry_after(bot.id, method, chat_id_of(params))
        if retry_after is not None:
            raise errors.too_many_requests(retry_after)
        outcome = function(Context(self.world, bot, params, self.webhooks))
        if inspect.isawaitable(outcome):
            outcome = await outcome
        return outcome

    async def download(self, request: web.Request) -> web.StreamResponse:
        try:
            self.world.bot_for_token(request.match_info["token"])
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.status)
        stored = self.world.file_by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(errors.not_found().body(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)
