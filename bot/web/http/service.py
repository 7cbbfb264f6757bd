"""What machines call: Telegram's webhook posts and ``/health``."""

from __future__ import annotations

import hmac

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.inbox.webhook import MAX_BODY, SECRET_HEADER
from bot.staff.sign_in.sessions import resume
from bot.web.console import Console
from bot.web.http.visits import COOKIE


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
    """200 "ok" or 503 "unhealthy" for anyone; the report itself (what waits, since when)
    for a monitor with ERAS_HEALTH_TOKEN or a signed-in admin. Not by address: behind a
    reverse proxy every request comes from the loopback."""
    console: Console = request.app.state.console
    report = await console.health()
    status = 200 if report.get("ok") else 503
    if await _may_read_the_report(request, console):
        return JSONResponse(report, status_code=status)
    return PlainTextResponse("ok" if status == 200 else "unhealthy", status_code=status)


async def _may_read_the_report(request: Request, console: Console) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if console.health_token and scheme.lower() == "bearer":
        return hmac.compare_digest(given.strip().encode(), console.health_token.encode())
    token = request.cookies.get(COOKIE)
    if not token:
        return False
    async with console.services.sessions.begin() as db:
        who = await resume(db, token, console.services.clock.now(), by_person=False)
    return who is not None and who.is_admin
