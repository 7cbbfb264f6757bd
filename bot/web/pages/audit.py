"""The audit page (admins): their teams' part of the audit log, filtered and paged, and
whether the log's chain still holds. Each reading is itself recorded.

The filters travel in the URL: a staff member, an action, days and a cursor, none of them
a patient's data (the actor list offers staff only; a patient's entries are found by
reading the log, not by typing their reference into an address).
"""

from __future__ import annotations

import re
from datetime import date

from starlette.responses import Response

from bot.reports.team_audit import AuditFilter, team_audit
from bot.staff.sign_in.sessions import StaffRole
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit

STAFF_REF = re.compile(r"staff:\d{1,18}")
ACTION = re.compile(r"[a-z_]{1,30}\.[a-z_]{1,30}")


async def audit_page(visit: Visit) -> Response:
    asked, problems = _filter(visit)
    found = await team_audit(
        visit.db,
        visit.who.teams_as(StaffRole.ADMIN),
        asked,
        viewer_id=visit.who.staff_id,
        now=visit.now,
        key=visit.console.audit_key,
    )
    return TEMPLATES.TemplateResponse(
        visit.request,
        "audit.html",
        {"who": visit.who, "log": found, "asked": asked, "problems": problems},
    )


def _filter(visit: Visit) -> tuple[AuditFilter, list[str]]:
    """The filter the query asks for; what could not be read is said, and left out."""
    query = visit.request.query_params
    problems = []
    actor = query.get("actor", "")
    if actor and not STAFF_REF.fullmatch(actor):
        problems.append("The staff member asked for is not one of your teams'.")
        actor = ""
    action = query.get("action", "")
    if action and not ACTION.fullmatch(action):
        problems.append("There is no such action.")
        action = ""
    days = []
    for name, label in (("since", "From"), ("until", "To")):
        try:
            days.append(date.fromisoformat(query[name]) if query.get(name) else None)
        except ValueError:
            problems.append(f"“{label}” is not a date (YYYY-MM-DD).")
            days.append(None)
    before = query.get("before", "")
    since, until = days
    if since and until and since > until:
        problems.append("“From” is after “To”: nothing can match, so both are left out.")
        since = until = None
    cursor = int(before) if before.isdigit() and len(before) <= 18 else None
    return AuditFilter(actor, action, since, until, cursor), problems
