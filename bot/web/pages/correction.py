"""Correct: the patient page's form for a mistyped date, the operation, the time zone, the
language or the team, calling the use case `eras patient update` calls (its checks, its
messages, its audit entry). For the nurses and admins of the patient's team."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from bot.patients.course.correction_form import FIELDS, correct_from_form, correction_form
from bot.patients.enrolment.form import FormRefused
from bot.staff.sign_in.sessions import ENROLLING
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit


async def correction_page(visit: Visit) -> Response:
    return await _form(visit, None, {})


async def correct_patient(visit: Visit) -> Response:
    episode_id = visit.request.path_params["episode_id"]
    form = visit.form
    sent = {name: visit.field(name) for name in (*FIELDS, "confirm_date") if form and name in form}
    try:
        done = await correct_from_form(
            visit.db,
            visit.console.services.catalogue,
            episode_id,
            sent,
            staff_id=visit.who.staff_id,
            team_ids=visit.who.teams_as(*ENROLLING),
            now=visit.now,
        )
    except FormRefused as refused:
        return await _form(visit, sent, refused.problems, status=422)
    visit.wrote_messages = done.told
    return RedirectResponse(f"/patients/{episode_id}", status_code=303)


async def _form(
    visit: Visit, sent: dict[str, str] | None, problems: dict[str, str], *, status: int = 200
) -> Response:
    episode_id = visit.request.path_params["episode_id"]
    shown = await correction_form(
        visit.db,
        visit.console.services.catalogue,
        episode_id,
        visit.who.teams_as(*ENROLLING),
        viewer=(visit.who.staff_id, visit.now) if sent is None else None,
    )
    return TEMPLATES.TemplateResponse(
        visit.request,
        "correct.html",
        {
            "who": visit.who,
            "form": shown,
            "episode_id": episode_id,
            "values": {**shown.current, **(sent or {})},
            "problems": problems,
        },
        status_code=status,
    )
