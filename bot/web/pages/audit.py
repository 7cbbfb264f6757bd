"""The audit page (admins): their teams' part of the audit log, filtered and paged, and
whether the log's chain still holds. Each reading is itself recorded.

The filter form is posted: a patient's reference is a patient's data and never goes in an
address, so a filter by patient, and its pages, travel in posted forms only. The other
filters (a staff member, an action, days and a cursor) also work as a link's query.
"""

from __future__ import annotations

import re
from datetime import date

from starlette.responses import Response

from bot.reports.team_audit import NO_SUCH_PATIENT, AuditFilter, team_audit
from bot.staff.sign_in.sessions import StaffRole
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit

STAFF_REF = re.compile(r"staff:\d{1,18}")
ACTION = re.compile(r"[a-z_]{1,30}\.[a-z_]{1,30}")
PATIENT_LIMIT = 64  # the reference column's width: the field's maxlength


async def audit_search(visit: Visit) -> Response:
    """The filter form, posted (with a patient's reference, or its pages)."""
    return await audit_page(visit)


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
    if found.unknown_patient:
        problems.append(NO_SUCH_PATIENT)
    return TEMPLATES.TemplateResponse(
        visit.request,
        "audit.html",
        {
            "who": visit.who,
            "log": found,
            "asked": asked,
            "problems": problems,
            "patient_limit": PATIENT_LIMIT,
        },
    )


def _filter(visit: Visit) -> tuple[AuditFilter, list[str]]:
    """The filter the query asks for; what could not be read is said, and left out."""
    query = visit.request.query_params if visit.form is None else visit.form
    problems = []
    actor = _text(query.get("actor"))
    if actor and not STAFF_REF.fullmatch(actor):
        problems.append("The staff member asked for is not one of your teams'.")
        actor = ""
    action = _text(query.get("action"))
    if action and not ACTION.fullmatch(action):
        problems.append("There is no such action.")
        action = ""
    days = []
    for name, label in (("since", "From"), ("until", "To")):
        try:
            day = _text(query.get(name))
            days.append(date.fromisoformat(day) if day else None)
        except ValueError:
            problems.append(f"“{label}” is not a date (YYYY-MM-DD).")
            days.append(None)
    before = _text(query.get("before"))
    # Posted only: a GET's patient is ignored, as it must not be in an address.
    patient = _text(query.get("patient")) if visit.form is not None else ""
    since, until = days
    if since and until and since > until:
        problems.append("“From” is after “To”: nothing can match, so both are left out.")
        since = until = None
    cursor = int(before) if before.isdigit() and len(before) <= 18 else None
    return AuditFilter(actor, action, since, until, cursor, patient), problems


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
