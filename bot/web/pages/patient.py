"""A patient's page: who they are, their charts, every check-in and every alert.

It is named by the episode's id, never by the patient's reference (a URL is kept by
browsers, proxies and logs). Each load by a person is audited; its refreshes are not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.patients.course.hold import put_on_hold, resume
from bot.patients.course.ward import ReissuedSheet, ref_of_episode, reissue_by_episode
from bot.patients.course.withdrawal import withdraw
from bot.patients.enrolment.enrol import EnrolmentRefused
from bot.patients.enrolment.sheet import Sheet, render_sheet
from bot.patients.records.follow_up import FollowUp, follow_up, team_of_episode
from bot.telegram.render.chart import Point
from bot.web.charts import LineChart, Series, svg
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit, may_open
from bot.web.pages import caregivers, correspondence
from bot.web.pages.enrolment import SHEET_STYLE
from bot.web.pages.roster import STATUS_NAMES
from bot.web.pages.worklist import TIER_NAMES
from bot.web.routes import Access

FEVER = 38.0  # °C: the line drawn on the temperature chart
EVENT_NAMES = {
    "opened": "Raised",
    "card_sent": "Card sent",
    "findings_added": "Findings added",
    "tier_raised": "Tier raised",
    "acknowledged": "Acknowledged",
    "escalated": "Escalated",
    "reprompted": "Reminded",
    "resolved": "Resolved",
}
# What an event's details say to a nurse (staff ids and the like stay out).
SHOWN_DETAILS = {
    "chat": "to",
    "rules": "rules",
    "from": "from",
    "to": "to",
    "notify": "told",
    "outcome": "outcome",
    "clavien_dindo": "Clavien–Dindo",
    "note": "note",
}


def event_detail(detail: dict[str, object]) -> str:
    shown = []
    for key, label in SHOWN_DETAILS.items():
        value = detail.get(key)
        if value in (None, "", []):
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        shown.append(f"{label}: {text.replace('_', ' ') if key != 'rules' else text}")
    return " · ".join(shown)


async def episode_team(db: AsyncSession, request: Request) -> int | None:
    return await team_of_episode(db, request.path_params["episode_id"])


async def patient_page(visit: Visit) -> Response:
    found = await follow_up(
        visit.db,
        visit.console.services.catalogue,
        visit.request.path_params["episode_id"],
        visit.who.team_ids,
        visit.who.staff_id,
        visit.now,
        audited=visit.by_person,
    )
    if found is None:
        raise HTTPException(404)
    return TEMPLATES.TemplateResponse(
        visit.request,
        "patient.html",
        {
            "who": visit.who,
            "record": found,
            "charts": _charts(found),
            "tier_names": TIER_NAMES,
            "status_names": STATUS_NAMES,
            "event_names": EVENT_NAMES,
            "may_correct": may_open(
                visit.who,
                Access.NURSE_OR_ADMIN,
                await team_of_episode(visit.db, visit.request.path_params["episode_id"]),
            ),
            **await correspondence.on_the_page(visit),
            **await caregivers.on_the_page(visit),
        },
    )


def _listed(points: Sequence[Point], unit: str = "") -> str:
    return ", ".join(f"POD {pod} {value:g}{unit}" for pod, value in points) or "none yet"


def _charts(record: FollowUp) -> list[tuple[str, LineChart, list[tuple[str, str]]]]:
    """Each chart with its legend: (id, chart, [(css class, what it is)])."""
    chart = record.chart
    last = chart.last_pod
    pain = LineChart(
        title="Pain by post-operative day (0–10)",
        description=f"Back pain: {_listed(chart.back_pain, '/10')}. "
        f"Leg pain: {_listed(chart.leg_pain, '/10')}. "
        f"The pathway expects back pain at most: {_listed(chart.back_pain_goal)}.",
        y_min=0,
        y_max=10,
        y_ticks=[(v, str(v)) for v in (0, 2, 4, 6, 8, 10)],
        last_pod=last,
        series=[
            Series("goal", "goal", chart.back_pain_goal, steps=True),
            Series("back", "back", chart.back_pain),
            Series("leg", "leg", chart.leg_pain),
        ],
    )
    levels = dict(chart.walking_levels or {})
    walking = LineChart(
        title="Walking by post-operative day",
        description=f"Walking level: {_listed(chart.walking)}. "
        f"The pathway expects at least: {_listed(chart.walking_goal)}. "
        + "; ".join(f"{rank} = {label}" for rank, label in sorted(levels.items())),
        y_min=min(levels, default=0),
        y_max=max(levels, default=4),
        y_ticks=[(rank, str(rank)) for rank in sorted(levels)],
        last_pod=last,
        series=[
            Series("goal", "goal", chart.walking_goal, steps=True),
            Series("walking", "walking", chart.walking),
        ],
    )
    temperature = LineChart(
        title="Temperature by post-operative day (°C)",
        description=f"Temperature: {_listed(record.temperatures, ' °C')}. "
        f"The line marks {FEVER} °C.",
        y_min=35,
        y_max=41,
        y_ticks=[(v, f"{v}") for v in (35, 36, 37, 38, 39, 40, 41)],
        last_pod=last,
        series=[Series("temperature", "temperature", record.temperatures)],
        lines=[(FEVER, f"{FEVER} °C")],
    )
    goal = ("goal", "the pathway's milestone")
    scale = "; ".join(f"{rank} = {label}" for rank, label in sorted(levels.items()))
    return [
        ("pain", pain, [("back", "back pain"), ("leg", "leg pain"), goal]),
        ("walking", walking, [("walking", "walking level"), goal, ("", scale)]),
        ("temperature", temperature, [("temperature", "temperature"), ("threshold", "38.0 °C")]),
    ]


# The ward's actions: the use cases `eras patient pause|resume|withdraw|link` call, the
# staff member as the actor, from the console; each audited by its use case.
async def hold_patient(visit: Visit) -> Response:
    emergency_number = visit.console.services.site.emergency_number
    return await _ward_action(visit, put_on_hold, emergency_number=emergency_number)


async def resume_patient(visit: Visit) -> Response:
    return await _ward_action(visit, resume)


async def withdraw_patient(visit: Visit) -> Response:
    """Ends the follow-up for good: only with the box "I mean to end it" ticked."""
    if visit.field("confirm") != "yes":
        return _refused(
            visit,
            "Nothing changed: tick the box to confirm that the follow-up ends (it cannot "
            "be resumed).",
            status=422,
        )
    emergency_number = visit.console.services.site.emergency_number
    return await _ward_action(visit, withdraw, emergency_number=emergency_number)


async def _ward_action(
    visit: Visit, use_case: Callable[..., Awaitable[object]], **arguments: Any
) -> Response:
    """Run one of the ward's use cases on this page's patient; a refusal changes nothing."""
    ref = await _ref(visit)
    if isinstance(ref, Response):
        return ref
    try:
        await use_case(
            visit.db,
            ref=ref,
            now=visit.now,
            actor=_actor(visit),
            actor_kind="staff",
            origin="console",
            **arguments,
        )
    except EnrolmentRefused as refused:
        return _refused(visit, str(refused))
    return _back(visit)


async def reissue_patient_link(visit: Visit) -> Response:
    """The new link and the sheet in the answer to the post, never in a URL or a log."""
    username = visit.console.services.site.bot_username
    if username is None:
        raise HTTPException(503, "Set ERAS_BOT_USERNAME: the patient's link names the bot.")
    try:
        done = await reissue_by_episode(
            visit.db,
            visit.console.services.catalogue,
            visit.request.path_params["episode_id"],
            now=visit.now,
            actor=_actor(visit),
            actor_kind="staff",
            origin="console",
        )
    except EnrolmentRefused as refused:
        return _refused(visit, str(refused))
    link = f"https://t.me/{username}?start={done.link.token}"
    return HTMLResponse(_reissued_sheet(visit, done, link))


def _reissued_sheet(visit: Visit, done: ReissuedSheet, link: str) -> str:
    notice = TEMPLATES.get_template("reissued.html").render(
        reissued=done.link, link=link, episode_id=visit.request.path_params["episode_id"]
    )
    sheet = Sheet(
        link=link,
        expires_at=done.link.expires_at,
        language=done.language,
        team=done.team,
        surgery_date=done.surgery_date,
        procedure=done.procedure,
        protocol=done.protocol,
        emergency_number=done.team_emergency_number or visit.console.services.site.emergency_number,
        team_phone=done.team_phone,
        time_zone=done.time_zone,
        discharge_date=done.discharge_date,
    )
    return render_sheet(sheet, stylesheet_href=SHEET_STYLE, staff_notice=Markup(notice))


def _actor(visit: Visit) -> str:
    return f"staff:{visit.who.staff_id}"


async def _ref(visit: Visit) -> str | Response:
    try:
        return await ref_of_episode(visit.db, visit.request.path_params["episode_id"])
    except EnrolmentRefused as refused:
        return _refused(visit, str(refused))


def _back(visit: Visit) -> Response:
    return RedirectResponse(f"/patients/{visit.request.path_params['episode_id']}", 303)


def _refused(visit: Visit, why: str, *, status: int = 409) -> Response:
    return TEMPLATES.TemplateResponse(
        visit.request, "problem.html", {"status": status, "detail": why}, status_code=status
    )


TEMPLATES.env.filters["svg"] = svg
TEMPLATES.env.filters["event_detail"] = event_detail
