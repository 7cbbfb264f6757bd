"""What machines call: Telegram's webhook posts and ``/health``."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.inbox.webhook import MAX_BODY, SECRET_HEADER
from bot.web.console import Console


async def telegram_update(request: Request) -> Response:
    """Checked for the secret first, read within MAX_BODY, stored before the 200."""
    console: Console = request.app.state.console
    inbox = console.webhook
    if inbox is None or not inbox.admits(request.headers.get(SECRET_HEADER, "")):
        return Response(status_code=403)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return PlainTextResponse("too large", status_code=413)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("too large", status_code=413)
    except ClientDisconnect:  # gone, or cut off for sending too slowly: nothing stored
        return Response(status_code=400)
    status, reason = await inbox.receive(bytes(body))
    return PlainTextResponse(reason, status_code=status)


async def health(request: Request) -> Response:
    console: Console = request.app.state.console
    report = await console.health()
    return JSONResponse(report, status_code=200 if report.get("ok") else 503)
