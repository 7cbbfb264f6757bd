"""One request of a signed-in staff member: the session read from its cookie, the role and
team checked, the form's CSRF token checked, all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.staff.sign_in.sessions import ENROLLING, SignedIn, StaffRole, resume
from bot.web.console import Console
from bot.web.http.security import csrf_matches, same_origin
from bot.web.routes import Access, Page

COOKIE = "eras_console"
# The page's own refreshes say so: they do not keep a session from going idle.
REFRESH_HEADER = "X-Console-Refresh"
SIGNED_OUT = "/signed-out"


@dataclass
class Visit:
    request: Request
    console: Console
    db: AsyncSession
    who: SignedIn
    now: datetime
    form: FormData | None
    by_person: bool  # not the page refreshing itself
    # Set by a page that wrote messages to the outbox: the sender is woken once they are
    # committed (before, it would find nothing yet).
    wrote_messages: bool = False

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""


_FOR = {
    Access.ADMIN: "This page is for admins.",
    Access.NURSE_OR_ADMIN: "This page is for nurses and admins.",
}


def may_open(who: SignedIn, access: Access, team_id: int | None = None) -> bool:
    """Whether their role may open a page of this access: their role in ``team_id`` for a
    team's record, else their role in any of their teams (the page then shows only the
    teams where they hold it)."""
    if team_id is not None:
        role = who.roles.get(team_id)
        if access is Access.ADMIN:
            return role is StaffRole.ADMIN
        if access is Access.NURSE_OR_ADMIN:
            return role in ENROLLING
        return role is not None
    if access is Access.ADMIN:
        return who.is_admin
    if access is Access.NURSE_OR_ADMIN:
        return who.may_enrol
    return True


def guarded(page: Page) -> Any:
    """The endpoint for a staff page: nobody signed in is sent to sign in (a refresh is
    told to reload), a nurse on an admin page gets 403, another team's record 404, a post
    without the session's CSRF token 403."""

    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        posting = request.method == "POST"
        if posting and not same_origin(request):
            raise HTTPException(403, "This form came from another site.")
        async with console.services.sessions.begin() as db:
            now = console.services.clock.now()
            token = request.cookies.get(COOKIE, "")
            by_person = request.headers.get(REFRESH_HEADER) != "poll"
            who = await resume(db, token, now, by_person=by_person) if token else None
            if who is None:
                return _sign_in_first(request, posting)
            team_id = await page.team_of(db, request) if page.team_of is not None else None
            if page.team_of is not None and team_id not in who.team_ids:
                raise HTTPException(404)
            if not may_open(who, page.access, team_id):
                raise HTTPException(403, _FOR[page.access])
            form = await request.form() if posting else None
            if form is not None and not csrf_matches(who.csrf_token, form.get("csrf")):
                raise HTTPException(403, "This form has expired: reload the page and try again.")
            visit = Visit(request, console, db, who, now, form, by_person)
            response = await page.endpoint(visit)
        if visit.wrote_messages:
            console.services.wake_sender()
        return response

    endpoint.__name__ = page.name
    return endpoint


def _sign_in_first(request: Request, posting: bool) -> Response:
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the sign-in page into the list: have the browser go there instead.
        return Response(status_code=401, headers={"HX-Redirect": SIGNED_OUT})
    if posting:
        raise HTTPException(403, "You are not signed in.")
    return RedirectResponse(SIGNED_OUT, status_code=303)
