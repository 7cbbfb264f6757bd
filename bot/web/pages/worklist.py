"""The worklist (home page): my teams' open alerts, most urgent first, with Acknowledge and
Resolve calling the same use cases as the alert card's buttons in Telegram.

The list refreshes itself: the page asks for the list every few seconds, and the server
answers 204 (nothing to redraw) while it reads the same as the one on screen.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.alerts.actions import ConsoleUser, Notice, acknowledge, resolve
from bot.alerts.worklist import PAGE_SIZE, Filters, team_of_alert, worklist
from bot.telegram.render.team import GRADES, OUTCOMES
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit
from flows import Tier

REFRESH_SECONDS = 5  # a change shows within 10 s
TIER_NAMES = {
    Tier.RED_EMERGENCY: "Emergency",
    Tier.RED_URGENT: "Urgent",
    Tier.AMBER: "Amber",
    Tier.GREEN: "Green",
}
GRADE_NAMES = {grade: ("No complication" if grade == "none" else grade) for grade in GRADES}
NOTE_LIMIT = 2000


async def alert_team(db: AsyncSession, request: Request) -> int | None:
    alert_id = request.path_params["alert_id"]
    return await team_of_alert(db, alert_id)


def _filters(visit: Visit) -> Filters:
    query = visit.request.query_params
    team = query.get("team", "")
    tier = query.get("tier", "")
    return Filters(
        team_id=int(team) if team.isdigit() else None,
        tier=Tier(tier) if tier in Tier.__members__.values() else None,
        mine=query.get("mine") == "1",
    )


def _page_asked(visit: Visit) -> int:
    asked = visit.request.query_params.get("page", "")
    return int(asked) if asked.isdigit() and len(asked) < 7 else 1


async def _page(visit: Visit, notice: Notice | None = None) -> Response:
    filters = _filters(visit)
    services = visit.console.services
    found = await worklist(
        visit.db,
        services.catalogue,
        visit.who.team_ids,
        visit.who.staff_id,
        visit.now,
        filters,
        audited=visit.by_person,
        page=_page_asked(visit),
    )
    query = {
        k: v
        for k, v in (
            ("team", filters.team_id or ""),
            ("tier", filters.tier.value if filters.tier else ""),
            ("mine", "1" if filters.mine else ""),
        )
        if v
    }
    # The list's refresh and its forms keep the page; the links to other pages set it.
    on_page = query | ({"page": str(found.page)} if found.page > 1 else {})
    context: dict[str, Any] = {
        "who": visit.who,
        "list": found,
        "filters": filters,
        "query": urlencode(on_page),
        "filter_query": urlencode(query),
        "page_size": PAGE_SIZE,
        "tier_names": TIER_NAMES,
        "notice": notice,
        "refresh_seconds": REFRESH_SECONDS,
    }
    # What the list shows, in short: the page's refresh sends it back, and an unchanged
    # list is not redrawn (a keyboard user keeps their place).
    context["seen"] = hashlib.sha256(repr(found.rows).encode()).hexdigest()[:16]
    if not visit.htmx:
        return TEMPLATES.TemplateResponse(visit.request, "worklist.html", context)
    if notice is None and visit.request.query_params.get("seen") == context["seen"]:
        return Response(status_code=204)
    return TEMPLATES.TemplateResponse(
        visit.request, "worklist.html", context, block_name="worklist"
    )


async def worklist_page(visit: Visit) -> Response:
    return await _page(visit)


async def acknowledge_alert(visit: Visit) -> Response:
    alert_id = visit.request.path_params["alert_id"]
    services = visit.console.services
    notice = await acknowledge(
        visit.db, services.catalogue, alert_id, ConsoleUser(visit.who.staff_id), visit.now
    )
    visit.wrote_messages = True  # the card in the team's chat says who, at once
    if not visit.htmx:
        return RedirectResponse("/", status_code=303)
    return await _page(visit, notice)


async def resolve_page(visit: Visit) -> Response:
    return await _resolve_form(visit, None)


async def resolve_alert(visit: Visit) -> Response:
    alert_id = visit.request.path_params["alert_id"]
    outcome, grade, note = visit.field("outcome"), visit.field("grade"), visit.field("note")
    if outcome not in OUTCOMES or grade not in GRADES or len(note) > NOTE_LIMIT:
        problem = "Choose an outcome and a grade (and a note of at most 2000 characters)."
        return await _resolve_form(visit, problem, 400)
    if outcome == "false_alarm" and grade != "none":
        problem = "A false alarm is no complication: choose “No complication”."
        return await _resolve_form(visit, problem, 400)
    notice = await resolve(
        visit.db,
        alert_id,
        ConsoleUser(visit.who.staff_id),
        visit.now,
        outcome,
        grade,
        note or None,
    )
    visit.wrote_messages = True
    if not notice.granted:
        return await _resolve_form(visit, notice.text, 409)
    return RedirectResponse("/", status_code=303)


async def _resolve_form(visit: Visit, problem: str | None, status: int = 200) -> Response:
    """The form to resolve an alert, under the alert as the worklist shows it."""
    alert_id = visit.request.path_params["alert_id"]
    services = visit.console.services
    found = await worklist(
        visit.db, services.catalogue, visit.who.team_ids, visit.who.staff_id, visit.now
    )
    row = next((r for r in found.rows if r.alert_id == alert_id), None)
    return TEMPLATES.TemplateResponse(
        visit.request,
        "resolve.html",
        {
            "who": visit.who,
            "alert_id": alert_id,
            "row": row,
            "tier_names": TIER_NAMES,
            "outcomes": OUTCOMES,
            "grades": GRADE_NAMES,
            "chosen": {k: visit.field(k) for k in ("outcome", "grade", "note")},
            "problem": problem,
        },
        status_code=status,
    )
