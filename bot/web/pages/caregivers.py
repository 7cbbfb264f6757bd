"""The patient page's caregivers: who acts for the patient (by id), and the buttons "Add a
caregiver" and "Remove caregivers", which call the same use cases as the patient's
/caregiver and ``eras patient caregiver``."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from bot.patients.caregivers.circle import (
    MAX_CAREGIVERS,
    Actor,
    CaregiverRefused,
    invite_by_episode,
    listed,
    remove_by_episode,
)
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit


def _actor(visit: Visit) -> Actor:
    return Actor(kind="staff", ref=f"staff:{visit.who.staff_id}", origin="console")


async def on_the_page(visit: Visit) -> dict[str, Any]:
    episode_id = visit.request.path_params["episode_id"]
    return {"caregivers": await listed(visit.db, episode_id), "most_caregivers": MAX_CAREGIVERS}


async def add_caregiver(visit: Visit) -> Response:
    username = visit.console.services.site.bot_username
    if username is None:
        raise HTTPException(503, "Set ERAS_BOT_USERNAME: the caregiver's link names the bot.")
    episode_id = visit.request.path_params["episode_id"]
    try:
        done = await invite_by_episode(visit.db, episode_id, visit.now, _actor(visit))
    except CaregiverRefused as refused:
        return _refused(visit, str(refused))
    return TEMPLATES.TemplateResponse(
        visit.request,
        "caregiver_link.html",
        {
            "who": visit.who,
            "invitation": done,
            "episode_id": episode_id,
            "link": f"https://t.me/{username}?start={done.token}",
        },
    )


async def remove_caregivers(visit: Visit) -> Response:
    episode_id = visit.request.path_params["episode_id"]
    try:
        await remove_by_episode(visit.db, episode_id, visit.now, _actor(visit))
    except CaregiverRefused as refused:
        return _refused(visit, str(refused))
    return RedirectResponse(f"/patients/{episode_id}#caregivers", status_code=303)


def _refused(visit: Visit, why: str) -> Response:
    return TEMPLATES.TemplateResponse(
        visit.request, "problem.html", {"status": 409, "detail": why}, status_code=409
    )
