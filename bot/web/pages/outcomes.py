"""The outcomes report on the console: the same report ``eras report outcomes`` writes, over
the signed-in staff member's teams only, filtered by team, pathway and surgery dates.

Open to all staff: the page shows counts and curves, never a patient, with small cells
masked; a surgeon reads the recovery curves of the approaches, a nurse the alert burden and
the response times, and each of them already sees their teams' records one by one. The
long-format CSV, one row a patient's answer, stays with the command (admins, on the server).
Every reading is recorded in the audit log, as the command's report is. The filters travel
in the URL: a team's number, a pathway's id and days, none of them a patient's data.
"""

from __future__ import annotations

from datetime import date

from starlette.responses import Response

from bot.reports.outcomes.reading import Scope
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit


async def outcomes_page(visit: Visit) -> Response:
    # Here, not at the top: statistics and plotting take seconds to load, and the console
    # starts with the bot.
    from bot.reports.outcomes.writing import report_choices, report_page

    teams, pathways = await report_choices(visit.db, visit.who.team_ids)
    scope, asked, problems = _scope(visit, dict(teams), pathways)
    body = await report_page(
        visit.db,
        visit.console.services.catalogue,
        scope,
        now=visit.now,
        staff_id=visit.who.staff_id,
    )
    return TEMPLATES.TemplateResponse(
        visit.request,
        "outcomes.html",
        {
            "who": visit.who,
            "teams": teams,
            "pathways": pathways,
            "asked": asked,
            "problems": problems,
            "report_body": body,
        },
    )


def _scope(
    visit: Visit, teams: dict[int, str], pathways: list[str]
) -> tuple[Scope, dict[str, str], list[str]]:
    """The scope the query asks for, within the staff member's teams; what could not be
    read is said, and left out."""
    query = visit.request.query_params
    problems = []
    asked = {name: query.get(name, "") for name in ("team", "pathway", "from", "to")}
    team = int(asked["team"]) if asked["team"].isdigit() and len(asked["team"]) < 19 else None
    if asked["team"] and team not in teams:
        problems.append("The team asked for is not one of yours: all your teams are shown.")
        asked["team"], team = "", None
    if asked["pathway"] and asked["pathway"] not in pathways:
        problems.append("There is no such pathway: all pathways are shown.")
        asked["pathway"] = ""
    days: list[date | None] = []
    for name, label in (("from", "Surgery from"), ("to", "Surgery to")):
        try:
            days.append(date.fromisoformat(asked[name]) if asked[name] else None)
        except ValueError:
            problems.append(f"“{label}” is not a date (YYYY-MM-DD).")
            asked[name] = ""
            days.append(None)
    surgery_from, surgery_to = days
    if surgery_from and surgery_to and surgery_from > surgery_to:
        problems.append("“Surgery from” is after “Surgery to”: both are left out.")
        surgery_from = surgery_to = None
        asked["from"] = asked["to"] = ""
    scope = Scope(
        team=teams[team] if team is not None else None,
        pathways=(asked["pathway"],) if asked["pathway"] else (),
        surgery_from=surgery_from,
        surgery_to=surgery_to,
        team_ids=frozenset({team}) if team is not None else visit.who.team_ids,
    )
    return scope, asked, problems
