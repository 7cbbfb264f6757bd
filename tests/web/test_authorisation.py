"""Every route of the console × anonymous, a nurse of another team, a nurse of the team and
an admin: the status each gets, built from the route table so that a new page is covered
the day it is added."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.web.app import PAGES
from bot.web.routes import Access, Page
from db.models import Team
from tests.web.conftest import Ward, csrf_of

PEOPLE = (None, "Olga", "Ana", "Ines")  # anonymous, Cervical's nurse, Spine's nurse and admin
LABELS = {None: "anonymous", "Olga": "other-team", "Ana": "team-nurse", "Ines": "admin"}
# Pages anyone may open: what each person gets (a signed-in person leaves /signed-out).
OPEN_TO_ANYONE = {
    "get_health": {None: 200, "Olga": 200, "Ana": 200, "Ines": 200},
    "get_signed_out": {None: 200, "Olga": 303, "Ana": 303, "Ines": 303},
    "get_sign_in_page": {None: 200, "Olga": 200, "Ana": 200, "Ines": 200},
    "post_sign_in": {None: 303, "Olga": 303, "Ana": 303, "Ines": 303},
    # Off without ERAS_TELEGRAM_LOGIN, as here; with it, test_telegram_sign_in.py.
    "get_telegram_sign_in": {None: 404, "Olga": 404, "Ana": 404, "Ines": 404},
}
# Posts that answer with a page rather than a redirect (a search's terms, a new link, stay
# out of URLs).
ANSWERED_WITH_A_PAGE = {
    "post_roster_search",
    "post_enrol",
    "post_add_caregiver",
    "post_audit_search",
    "post_reissue_patient_link",
}
# Posts the use case refuses here, said on the page: the patient is not on hold.
REFUSED_HERE = {"post_resume_patient": 409}
FORMS = {
    "post_resolve_alert": {"outcome": "false_alarm", "grade": "none", "note": ""},
    "post_message_to_patient": {"words": "We will call you at 11."},
    "post_note_on_patient": {"note": "Called her back."},
    # Into Spine (its id is put in below): for Olga a team of another ward.
    "post_enrol": {
        "ref": "E-1",
        "protocol": "spine-miss-lumbar",
        "surgery_date": "2026-03-02",
        "confirm_date": "yes",
    },
    "post_withdraw_patient": {"confirm": "yes"},
}
# Writing on a patient's record is for the team's nurses and surgeons: its admin is refused.
CLINICIANS_ONLY = {"post_message_to_patient", "post_note_on_patient"}


def expected(page: Page, who: str | None) -> int:
    if page.access is Access.ANYONE:
        return OPEN_TO_ANYONE[page.name][who]
    if who is None:
        return 303 if page.method == "GET" else 403  # to the sign-in page; a post refused
    if page.access is Access.ADMIN and who != "Ines":
        return 403
    if page.team_of is not None and who == "Olga":
        return 404  # another team's record does not exist for her
    if page.name in CLINICIANS_ONLY and who == "Ines":
        return 403
    if page.name == "post_enrol" and who == "Olga":
        return 422  # Spine is not one of her teams: refused beside the field
    if page.name in REFUSED_HERE:
        return REFUSED_HERE[page.name]
    return 200 if page.method == "GET" or page.name in ANSWERED_WITH_A_PAGE else 303


async def spine_id(ward: Ward) -> str:
    async with ward.journey.runtime.sessions() as session:
        return str(await session.scalar(select(Team.id).where(Team.name == "Spine")))


def test_every_page_anyone_may_open_has_its_expected_statuses() -> None:
    assert {p.name for p in PAGES if p.access is Access.ANYONE} == set(OPEN_TO_ANYONE)


def people_sharing_a_ward(page: Page) -> list[tuple[str | None, ...]]:
    """Who asks for ``page``, in turn on one ward. Reading changes nothing another reader
    sees, and a refusal changes nothing (a refusal that did would answer with the wrong
    status first); but what a nurse posts may change what the admin's post finds: the
    admin posts on a ward of her own."""
    if page.method == "GET":
        return [PEOPLE]
    return [PEOPLE[:3], PEOPLE[3:]]


def filled_in(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: values[m.group(1)], path)


CELLS = [(page, people) for page in PAGES for people in people_sharing_a_ward(page)]


@pytest.mark.parametrize(
    ("page", "people"),
    CELLS,
    ids=[f"{page.name}-{'-'.join(LABELS[who] for who in people)}" for page, people in CELLS],
)
async def test_route_answers_each_person_as_the_table_says(
    ward: Ward, page: Page, people: tuple[str | None, ...]
) -> None:
    photo = None
    if "{file_ref}" in page.path:  # a photo another patient of Spine sent on the day
        _, episode_id, file_ref = await ward.photo_sent()
        photo = (episode_id, file_ref)
    await ward.red_flag()
    alert = await ward.alert()
    answers = {}
    for who in people:
        browser = await ward.signed_in(who) if who else ward.client()
        csrf = csrf_of((await browser.get("/")).text) if who else "none"
        values = {
            "alert_id": str(alert.id),
            "episode_id": str(alert.episode_id),
            "token": await ward.link("Ana"),
            "protocol_id": "spine-miss-lumbar",
        }
        if photo is not None:
            values |= {"episode_id": str(photo[0]), "file_ref": photo[1]}
        path = filled_in(page.path, values)
        if page.method == "GET":
            answer = await browser.get(path)
        else:
            form = {"csrf": csrf, "team": await spine_id(ward), **FORMS.get(page.name, {})}
            answer = await browser.post(path, data=form)
        answers[who] = answer.status_code
    assert answers == {who: expected(page, who) for who in people}
