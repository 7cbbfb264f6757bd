"""The sandbox without a socket: an httpx transport that hands each request to its Bot API
in the caller's own process.

python-telegram-bot's own request class (``HTTPXRequest``) and the bot's poller take it in
place of the network (``Sandbox.transport()``, ``Sandbox.request()``): what the bot sends,
how python-telegram-bot reads answers and errors, the ledger and the faults are what they
are over HTTP. Only the connection is missing, so a dropped connection and a read timeout
are raised the way httpx raises them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from bot.sandbox.api import ledger
from bot.sandbox.api.calls import MALFORMED_BODY, BotApi, ClientGaveUp
from bot.sandbox.api.params import parse_params
from bot.sandbox.errors import ApiError, not_found

# Where an in-process sandbox says it is: the reserved .invalid domain, which nothing can
# reach by accident (requests only get there through the sandbox's transport).
IN_PROCESS_URL = "http://sandbox.invalid"
_METHOD = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[^/]+)$")
_FILE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


def transport(api: BotApi) -> httpx.MockTransport:
    async def handle(request: httpx.Request) -> httpx.Response:
        if found := _FILE.match(request.url.path):
            return _download(api, found["token"], found["path"])
        found = _METHOD.match(request.url.path)
        if found is None:
            return _error(not_found())
        return await _call(api, request, found["token"], found["method"])

    return httpx.MockTransport(handle)


async def _call(api: BotApi, request: httpx.Request, token: str, method: str) -> httpx.Response:
    async def read() -> dict[str, Any]:
        content_type = request.headers.get("Content-Type", "")
        return parse_params(request.url.params, content_type, request.content)

    # The client's read timeout: only a slow answer (an injected fault) can outlast it;
    # the sandbox then records the call as abandoned, as its HTTP server does.
    read_timeout = (request.extensions.get("timeout") or {}).get("read")
    try:
        answer = await api.call(token, method, read, patience=read_timeout)
    except ClientGaveUp:
        raise httpx.ReadTimeout("timed out in the sandbox", request=request) from None
    if answer.outcome == ledger.DROPPED:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    if answer.outcome == ledger.MALFORMED:
        return httpx.Response(200, content=MALFORMED_BODY)
    return _json(answer.status or 200, answer.body)


def _download(api: BotApi, token: str, path: str) -> httpx.Response:
    try:
        stored = api.file(token, path)
    except ApiError as exc:
        return _error(exc)
    return httpx.Response(200, content=stored.data, headers={"Content-Type": stored.mime_type})


def _error(exc: ApiError) -> httpx.Response:
    return _json(exc.status, exc.body())


def _json(status: int, body: Any) -> httpx.Response:
    # As the HTTP server writes it: non-ASCII escaped, so that text a person may send
    # (a lone surrogate, say) reaches the bot as Telegram would send it.
    headers = {"Content-Type": "application/json"}
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)
