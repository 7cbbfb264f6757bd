"""Enrol: the form (the command line's fields and checks), and on success the patient's
link and printable sheet in the answer to the post itself, so that the link, a secret,
never travels in a URL or a log line."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from bot.patients.enrolment.form import FormEnrolled, FormRefused, choices, enrol_from_form
from bot.patients.enrolment.sheet import Sheet, render_sheet, stylesheet
from bot.staff.sign_in.sessions import ENROLLING
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit

FIELDS = (
    "ref",
    "name",
    "team",
    "protocol",
    "procedure",
    "surgery_date",
    "discharge_date",
    "time_zone",
    "language",
    "confirm_date",
)
SHEET_STYLE = "/static/enrolment-sheet.css"


async def enrol_page(visit: Visit) -> Response:
    return await _form(visit, {}, {})


async def enrol(visit: Visit) -> Response:
    username = visit.console.services.site.bot_username
    if username is None:
        # Nothing is enrolled that could not be given its link.
        raise HTTPException(503, "Set ERAS_BOT_USERNAME: the patient's link names the bot.")
    values = {name: visit.field(name) for name in FIELDS}
    try:
        done = await enrol_from_form(
            visit.db,
            visit.console.services.catalogue,
            values,
            staff_id=visit.who.staff_id,
            team_ids=visit.who.teams_as(*ENROLLING),
            now=visit.now,
        )
    except FormRefused as refused:
        return await _form(visit, values, refused.problems, status=422)
    link = f"https://t.me/{username}?start={done.enrolment.token}"
    return HTMLResponse(_sheet_page(visit, done, link))


async def sheet_style(_request: Any) -> Response:
    """The sheet's style as a file of its own: the console's pages allow no inline style."""
    return PlainTextResponse(stylesheet(), media_type="text/css")


async def _form(
    visit: Visit, values: dict[str, str], problems: dict[str, str], *, status: int = 200
) -> Response:
    offered = await choices(
        visit.db, visit.console.services.catalogue, visit.who.teams_as(*ENROLLING)
    )
    if not values and len(offered.teams) == 1:
        values = {"team": str(offered.teams[0].id)}
    return TEMPLATES.TemplateResponse(
        visit.request,
        "enrol.html",
        {
            "who": visit.who,
            "choices": offered,
            "values": values,
            "problems": problems,
            "languages": sorted({lang for p in offered.protocols for lang in p.languages}),
        },
        status_code=status,
    )


def _sheet_page(visit: Visit, done: FormEnrolled, link: str) -> str:
    enrolment = done.enrolment
    notice = TEMPLATES.get_template("enrolled.html").render(
        enrolment=enrolment, link=link, csrf=visit.who.csrf_token
    )
    sheet = Sheet(
        link=link,
        expires_at=enrolment.token_expires_at,
        language=done.language,
        team=enrolment.team,
        surgery_date=done.surgery_date,
        procedure=done.procedure,
        protocol=done.protocol,
        emergency_number=enrolment.emergency_number(visit.console.services.site.emergency_number),
        team_phone=enrolment.team_phone,
        time_zone=done.time_zone,
        discharge_date=done.discharge_date,
    )
    return render_sheet(sheet, stylesheet_href=SHEET_STYLE, staff_notice=Markup(notice))
