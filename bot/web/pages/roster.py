"""The roster: every patient of my teams, searched, sorted and paged.

A search's terms are a patient's reference or name: they travel in the body of a POST,
never in a URL (which browsers, proxies and logs keep). Sorting and paging through a search
post the terms again; without one they are plain links.
"""

from __future__ import annotations

from starlette.responses import Response

from bot.patients.records.roster import SEARCH_LIMIT, SORTS, Place, roster
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit
from bot.web.pages.worklist import TIER_NAMES

# The columns, in order: (sort key, heading).
COLUMNS = (
    ("ref", "Patient"),
    ("status", "Status"),
    ("pod", "POD"),
    ("last_answered", "Last answered"),
    ("response_rate", "Response rate"),
    ("recovery_score", "Recovery score"),
    ("alert", "Open alert"),
)
STATUS_NAMES = {
    "invited": "Enrolled, not linked",
    "active": "Active",
    "paused": "Paused",
    "on_hold": "On hold (by the team)",
    "declined": "Ended: declined",
    "unreachable": "Ended: unreachable",
    "completed": "Ended: completed",
    "withdrawn": "Ended: withdrawn",
}


async def roster_page(visit: Visit) -> Response:
    return await _page(visit, search="")


async def roster_search(visit: Visit) -> Response:
    return await _page(visit, search=visit.field("search")[:SEARCH_LIMIT])


async def _page(visit: Visit, search: str) -> Response:
    if visit.form is not None:  # a search's button: "sort order page [after|before id]"
        sort, order, page_asked, *place_asked = [*visit.field("view").split(), "", "", ""][:5]
    else:
        query = visit.request.query_params
        sort, order, page_asked = (query.get(k, "") for k in ("sort", "order", "page"))
        place_asked = next(([k, query[k]] for k in ("after", "before") if k in query), [])
    # Only the columns shown: sorting by one the page has no heading for had it fail.
    sort = sort if sort in SORTS and sort in dict(COLUMNS) else "ref"
    descending = order == "desc"
    found = await roster(
        visit.db,
        visit.console.services.catalogue,
        visit.who.team_ids,
        visit.now,
        search=search,
        sort=sort,
        descending=descending,
        page=int(page_asked) if page_asked.isdigit() and len(page_asked) < 7 else 1,
        place=_place(place_asked),
    )
    return TEMPLATES.TemplateResponse(
        visit.request,
        "roster.html",
        {
            "who": visit.who,
            "now": visit.now,
            "roster": found,
            "search": search,
            "sort": sort,
            "descending": descending,
            "columns": COLUMNS,
            "status_names": STATUS_NAMES,
            "tier_names": TIER_NAMES,
            "search_limit": SEARCH_LIMIT,
            "many_teams": len(visit.who.team_ids) > 1,
        },
    )


def _place(asked: list[str]) -> Place | None:
    """Where the page asked for starts: ["after" or "before", an episode's id]."""
    if len(asked) < 2 or asked[0] not in ("after", "before"):
        return None
    if not asked[1].isdigit() or len(asked[1]) > 18:
        return None
    return Place(int(asked[1]), before=asked[0] == "before")
