"""The Bot API itself, whatever carries the request (HTTP in ``server.py``, or a test's
in-process transport in ``in_process.py``).

Every call goes the same way: read the parameters, apply an injected fault if one matches,
apply Telegram's flood limits if they are on, do the method, record the call in the ledger.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.sandbox import errors
from bot.sandbox.api import faults, ledger
from bot.sandbox.api.faults import DropConnection, Fault, FaultPlan, MalformedBody, Slow
from bot.sandbox.api.ledger import Ledger
from bot.sandbox.api.limits import FloodControl
from bot.sandbox.api.methods import Context, find
from bot.sandbox.api.methods.registry import Couriers
from bot.sandbox.api.params import chat_id_of
from bot.sandbox.errors import ApiError
from bot.sandbox.world.state import StoredFile, World

# What a malformed answer's body looks like: JSON cut off in the middle.
MALFORMED_BODY = b'{"ok": true, "result": {"message_id'


@dataclass
class Answer:
    """What the sandbox decided to answer (and recorded in the ledger)."""

    outcome: str
    status: int | None
    body: dict[str, Any] | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    result: Any = None


class ClientGaveUp(Exception):
    """The answer would come later than the client waits (its read timeout)."""


def _failure(exc: ApiError) -> Answer:
    return Answer(ledger.ERROR, exc.status, exc.body(), exc.description, exc.parameters)


class BotApi:
    def __init__(
        self,
        world: World,
        ledger: Ledger,
        faults: FaultPlan,
        flood: FloodControl,
        webhooks: Couriers,
    ) -> None:
        self.world = world
        self.ledger = ledger
        self.faults = faults
        self.flood = flood
        self.webhooks = webhooks

    async def call(
        self,
        token: str,
        method: str,
        read_params: Callable[[], Awaitable[dict[str, Any]]],
        patience: float | None = None,
    ) -> Answer:
        """Answer one request and record it. Cancelled (the client gave up), the call is
        recorded as abandoned, with what was done meanwhile; so it is when a slow answer
        would come later than ``patience`` seconds (the client's read timeout, when the
        caller knows it), which raises ``ClientGaveUp`` once that time has passed."""
        arrived, wall = self.world.monotonic(), self.world.clock()
        params: dict[str, Any] = {}
        fault: Fault | None = None

        def record(answer: Answer) -> None:
            self.ledger.record(
                token=token,
                method=method,
                params=params,
                chat_id=chat_id_of(params),
                at=arrived,
                wall=wall,
                done_at=self.world.monotonic(),
                outcome=answer.outcome,
                status=answer.status,
                description=answer.description,
                result=answer.result,
                fault=fault.kind if fault else None,
                parameters=answer.parameters,
            )

        answer: Answer | None = None
        try:
            try:
                params = await read_params()
            except ApiError as exc:
                answer = _failure(exc)
            else:
                fault = self.faults.take(token, method, chat_id_of(params))
                answer = await self._answer(token, method, params, fault, patience)
                if isinstance(fault, Slow) and fault.delivered:
                    # Done; only the answer is late.
                    await self._late(fault.seconds, patience)
        except (asyncio.CancelledError, ClientGaveUp):
            answer = answer or Answer(ledger.ABANDONED, None)
            record(replace(answer, outcome=ledger.ABANDONED, status=None))
            raise
        record(answer)
        return answer

    async def _late(self, seconds: float, patience: float | None) -> None:
        if patience is not None and seconds > patience:
            await self.world.sleep(patience)
            raise ClientGaveUp
        await self.world.sleep(seconds)

    async def _answer(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        fault: Fault | None,
        patience: float | None,
    ) -> Answer:
        try:
            if isinstance(fault, faults.ErrorFault):
                raise fault.error()
            skip_method = isinstance(fault, DropConnection | MalformedBody) and not fault.delivered
            if isinstance(fault, Slow) and not fault.delivered:
                await self._late(fault.seconds, patience)
            result = None if skip_method else await self._call(token, method, params)
        except ApiError as exc:
            return _failure(exc)
        if isinstance(fault, DropConnection):
            return Answer(ledger.DROPPED, None, result=result)
        if isinstance(fault, MalformedBody):
            return Answer(ledger.MALFORMED, 200, result=result)
        return Answer(ledger.OK, 200, {"ok": True, "result": result}, result=result)

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

    def file(self, token: str, path: str) -> StoredFile:
        """A file to download at ``/file/bot{token}/{path}``; ApiError when there is none."""
        self.world.bot_for_token(token)
        stored = self.world.file_by_path(path)
        if stored is None:
            raise errors.not_found()
        return stored
