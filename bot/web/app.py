"""The one HTTP application: the route table, its guards, and the security headers."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.settings import TELEGRAM_SIGN_IN_PATH
from bot.web.console import STATIC, TEMPLATES, Console
from bot.web.http import service
from bot.web.http.security import SecurityHeaders
from bot.web.http.visits import guarded, may_open
from bot.web.pages import (
    audit,
    caregivers,
    correction,
    correspondence,
    enrolment,
    files,
    outcomes,
    patient,
    protocols,
    roster,
    sign_in,
    worklist,
)
from bot.web.routes import Access, Page

log = logging.getLogger(__name__)

ALERT = "/alerts/{alert_id:int}"
# Every route but the webhook's (its path comes from the settings) and the static files.
PAGES = (
    Page("GET", "/health", service.health, Access.ANYONE),
    Page("GET", "/signed-out", sign_in.signed_out, Access.ANYONE),
    Page("GET", TELEGRAM_SIGN_IN_PATH, sign_in.telegram_sign_in, Access.ANYONE),
    Page("GET", "/sign-in/{token}", sign_in.sign_in_page, Access.ANYONE),
    Page("POST", "/sign-in/{token}", sign_in.sign_in, Access.ANYONE),
    Page("POST", "/sign-out", sign_in.sign_out, Access.STAFF),
    Page("GET", "/", worklist.worklist_page, Access.STAFF),
    Page(
        "POST",
        f"{ALERT}/acknowledge",
        worklist.acknowledge_alert,
        Access.STAFF,
        worklist.alert_team,
    ),
    Page("GET", f"{ALERT}/resolve", worklist.resolve_page, Access.STAFF, worklist.alert_team),
    Page("POST", f"{ALERT}/resolve", worklist.resolve_alert, Access.STAFF, worklist.alert_team),
    Page("GET", "/patients", roster.roster_page, Access.STAFF),
    Page("POST", "/patients", roster.roster_search, Access.STAFF),
    Page("GET", "/patients/new", enrolment.enrol_page, Access.NURSE_OR_ADMIN),
    Page("POST", "/patients/new", enrolment.enrol, Access.NURSE_OR_ADMIN),
    Page(
        "GET",
        "/patients/{episode_id:int}",
        patient.patient_page,
        Access.STAFF,
        patient.episode_team,
    ),
    Page(
        "GET",
        "/patients/{episode_id:int}/files/{file_ref}",
        files.patient_file,
        Access.STAFF,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/messages",
        correspondence.message_to_patient,
        Access.STAFF,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/notes",
        correspondence.note_on_patient,
        Access.STAFF,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/caregivers",
        caregivers.add_caregiver,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/caregivers/remove",
        caregivers.remove_caregivers,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page(
        "GET",
        "/patients/{episode_id:int}/correction",
        correction.correction_page,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/correction",
        correction.correct_patient,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/hold",
        patient.hold_patient,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/resume",
        patient.resume_patient,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/withdraw",
        patient.withdraw_patient,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page(
        "POST",
        "/patients/{episode_id:int}/link",
        patient.reissue_patient_link,
        Access.NURSE_OR_ADMIN,
        patient.episode_team,
    ),
    Page("GET", "/protocols", protocols.protocols_page, Access.ADMIN),
    Page("GET", "/protocols/{protocol_id}", protocols.protocol_page, Access.ADMIN),
    Page("GET", "/protocols/{protocol_id}/diff", protocols.protocol_diff_page, Access.ADMIN),
    Page("GET", "/audit", audit.audit_page, Access.ADMIN),
    Page("POST", "/audit", audit.audit_search, Access.ADMIN),
    Page("GET", "/reports/outcomes", outcomes.outcomes_page, Access.STAFF),
)
# The pages in the navigation bar, in order: (title, path, who may open it).
NAVIGATION = (
    ("Worklist", "/", Access.STAFF),
    ("Roster", "/patients", Access.STAFF),
    ("Enrol", "/patients/new", Access.NURSE_OR_ADMIN),
    ("Outcomes", "/reports/outcomes", Access.STAFF),
    ("Protocols", "/protocols", Access.ADMIN),
    ("Audit", "/audit", Access.ADMIN),
)
TEMPLATES.env.globals["navigation"] = NAVIGATION
TEMPLATES.env.globals["may_open"] = may_open


def console_app(console: Console) -> Starlette:
    routes: list[BaseRoute] = [
        Route(
            page.path,
            page.endpoint if page.access is Access.ANYONE else guarded(page),
            methods=[page.method],
            name=page.name,
        )
        for page in PAGES
    ]
    if console.webhook is not None and console.webhook_path is not None:
        routes.append(Route(console.webhook_path, service.telegram_update, methods=["POST"]))
    routes.append(Route(enrolment.SHEET_STYLE, enrolment.sheet_style))  # a static file
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders, https=console.over_https)],
        exception_handlers={HTTPException: _problem, Exception: _failure},
    )
    app.state.console = console
    return app


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        detail = "There is nothing here, or it is not for your teams."
    else:
        detail = exc.detail
    return TEMPLATES.TemplateResponse(
        request,
        "problem.html",
        {"status": exc.status_code, "detail": detail},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _failure(request: Request, exc: Exception) -> Response:
    # The kind of failure only: an exception's text may quote patient data.
    endpoint = getattr(request.scope.get("endpoint"), "__name__", "?")  # never the path
    log.error("console: %s failed with %s", endpoint, type(exc).__name__)
    return TEMPLATES.TemplateResponse(
        request, "problem.html", {"status": 500, "detail": "Something went wrong."}, status_code=500
    )
