"""Signing in with a one-time link, and out.

Opening the link (GET) only shows a "Sign in" button: a chat app fetching the link for a
preview uses nothing up. The button's post uses the link and opens a session. Every try
with a link that does not work counts against the address it came from.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.staff.sign_in import links
from bot.staff.sign_in.sessions import begin, end, resume
from bot.staff.sign_in.telegram_login import sign_in_with_telegram
from bot.web.console import TEMPLATES, Console
from bot.web.http.security import same_origin
from bot.web.http.visits import COOKIE, SIGNED_OUT, Visit


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _refused(
    request: Request, console: Console, status: int = 410, *, telegram: bool = False
) -> Response:
    console.attempts.failed(_address(request))
    return TEMPLATES.TemplateResponse(
        request, "sign_in_refused.html", {"telegram": telegram}, status_code=status
    )


def _limited(request: Request, console: Console) -> Response | None:
    if console.attempts.allowed(_address(request)):
        return None
    return TEMPLATES.TemplateResponse(
        request, "too_many_tries.html", {}, status_code=429, headers={"Retry-After": "900"}
    )


async def sign_in_page(request: Request) -> Response:
    console: Console = request.app.state.console
    if (limited := _limited(request, console)) is not None:
        return limited
    token = request.path_params["token"]
    async with console.services.sessions.begin() as db:
        usable = await links.peek(db, token, console.services.clock.now())
    if not usable:
        return _refused(request, console)
    return TEMPLATES.TemplateResponse(request, "sign_in.html", {"token": token})


async def sign_in(request: Request) -> Response:
    console: Console = request.app.state.console
    if (limited := _limited(request, console)) is not None:
        return limited
    if not same_origin(request):
        raise HTTPException(403, "This form came from another site.")
    token = request.path_params["token"]
    async with console.services.sessions.begin() as db:
        now = console.services.clock.now()
        member = await links.redeem(db, token, now)
        cookie = await begin(db, member, now) if member is not None else None
    if cookie is None:
        return _refused(request, console)
    return _signed_in(console, cookie)


async def telegram_sign_in(request: Request) -> Response:
    """Where an "Open console" LoginUrl button sends the browser: Telegram's signed fields
    in the query. Refused like a used link when the signature, its age or the staff member
    does not hold; counted against the address like every failed sign-in."""
    console: Console = request.app.state.console
    if console.telegram_login_token is None:
        raise HTTPException(404)
    if (limited := _limited(request, console)) is not None:
        return limited
    fields = dict(request.query_params)
    async with console.services.sessions.begin() as db:
        now = console.services.clock.now()
        member = await sign_in_with_telegram(db, fields, console.telegram_login_token, now)
        cookie = await begin(db, member, now) if member is not None else None
    if cookie is None:
        return _refused(request, console, status=403, telegram=True)
    return _signed_in(console, cookie)  # off to the worklist: the fields leave the address


def _signed_in(console: Console, cookie: str) -> Response:
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=console.over_https,
        path="/",
    )
    return response


async def sign_out(visit: Visit) -> Response:
    await end(visit.db, visit.who, visit.now)
    response = RedirectResponse(SIGNED_OUT, status_code=303)
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=visit.console.over_https
    )
    return response


async def signed_out(request: Request) -> Response:
    """Where anyone not signed in lands: how to get a sign-in link."""
    console: Console = request.app.state.console
    token = request.cookies.get(COOKIE, "")
    if token:
        async with console.services.sessions.begin() as db:
            now = console.services.clock.now()
            if await resume(db, token, now, by_person=False) is not None:
                return RedirectResponse("/", status_code=303)
    return TEMPLATES.TemplateResponse(request, "signed_out.html", {})
